"""Daily work (issue 13): a notification and the daily-digest setting of the tenant's consultant."""
from saas.notifications.models import Notification, NotificationSettings


def populate(session, base):
    key = base["key"].upper()
    notification = Notification(user_id=base["consultant"].id, kind="proposal_made", title=f"Varsel {key} Hemmelig",
                                target_type="action", target_id=None)
    settings = NotificationSettings(user_id=base["consultant"].id, daily_digest=True)
    session.add_all([notification, settings])
    session.flush()
    return {"notification": notification, "notification_settings": settings, "calendar_feed": _feed(session, base)}


def _feed(session, base):
    from saas.calendar.models import CalendarFeed

    feed = CalendarFeed(user_id=base["consultant"].id, token_hash=("a" if base["key"] == "a" else "b") * 64)
    session.add(feed)
    session.flush()
    return feed
