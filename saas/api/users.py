"""/api/v1/t/<slug>/users"""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import func, select

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required
from saas.db import current_session
from saas.schemas import FieldErrors
from saas.tenants import services
from saas.tenants.models import User
from saas.tenants.schemas import UserSchema, UserUpdateSchema
from marshmallow import fields


class UserOutSchema(UserSchema):
    roles = fields.Method("_roles")

    def _roles(self, user):
        return sorted(r.value for r in user.roles)


def _user(user_id: int) -> User:
    user = current_session().scalar(select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


@tenant_api.get("/users")
@admin_required
@documented("/users", "get", "List users of the tenant", response=UserOutSchema, many=True, tag="users")
def list_users():
    page, per_page = pagination()
    session = current_session()
    total = session.scalar(select(func.count(User.id)))
    rows = session.scalars(select(User).order_by(User.name, User.id).limit(per_page).offset((page - 1) * per_page)).all()
    return page_body(UserOutSchema(many=True).dump(rows), total, page, per_page)


@tenant_api.post("/users")
@admin_required
@documented("/users", "post", "Invite a user (an e-mail with a link to choose a password)", request=UserSchema, response=UserOutSchema, status=201, tag="users")
def invite_user():
    user = services.invite_user(current_session(), g.tenant, current_user, json_body(UserSchema()))
    return UserOutSchema().dump(user), 201


@tenant_api.get("/users/<int:user_id>")
@admin_required
@documented("/users/{user_id}", "get", "One user", response=UserOutSchema, params=("user_id",), tag="users")
def get_user(user_id: int):
    return UserOutSchema().dump(_user(user_id))


@tenant_api.patch("/users/<int:user_id>")
@admin_required
@documented("/users/{user_id}", "patch", "Change name, phone or roles", request=UserUpdateSchema, response=UserOutSchema, params=("user_id",), tag="users")
def update_user(user_id: int):
    user = _user(user_id)
    data = json_body(UserUpdateSchema(), partial=True)
    if "roles" in data:
        if user.id == current_user.id and "admin" not in data["roles"]:
            raise FieldErrors({"roles": "Du kan ikke fjerne din egen administratorrolle."})
        services.set_roles(current_session(), user, data["roles"])
    for key in ("name", "phone"):
        if key in data:
            setattr(user, key, data[key])
    from saas.audit.services import record

    record(current_session(), current_user, "user.updated", user, user.email)
    return UserOutSchema().dump(user)


@tenant_api.delete("/users/<int:user_id>")
@admin_required
@documented("/users/{user_id}", "delete", "Deactivate a user (ends all sessions)", response=UserOutSchema, params=("user_id",), tag="users")
def deactivate_user(user_id: int):
    user = _user(user_id)
    try:
        services.set_active(current_session(), current_user, user, False)
    except FieldErrors:
        raise
    return UserOutSchema().dump(user)
