"""Warm render time per certificate against a bare WeasyPrint render of the same HTML (target: ≤ 20 % overhead).

Run: .venv/bin/python bench/certificate_render.py [--certificates 60] [--docs docs/certificate-page1.png]

On a fresh migrated database (PostgreSQL when reachable), one demo provider with logo and signature, and
``--certificates`` demo companies with sub-units and a certificate each.  After one warm-up render, each
certificate is timed both ways in the same process, in alternating order so drift and load hit both alike:

* product: ``documents.render_and_store`` (read the certificate, build the plain data and the QR code,
  the Jinja template, WeasyPrint with the data-only fetcher, SHA-256, the atomic file write, the row);
* bare: ``weasyprint.HTML(string=html).write_pdf()`` of the very same HTML.

``--docs PATH`` also writes page 1 of the demo's class A+ certificate as a PNG (pdftoppm -r 60), the
README's picture.
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import bench_app  # noqa: E402

FONTS = Path("/usr/share/fonts/truetype/dejavu")


# -- demo branding (made here, so the picture does not depend on a file in the repository) ---------------

def logo_png(name: str, color=(31, 78, 121), accent=(200, 164, 77)) -> bytes:
    """A provider's logo: a round badge with a shield and a check mark, and the name beside it."""
    from PIL import Image, ImageDraw, ImageFont

    words = name.rsplit(" ", 1)
    image = Image.new("RGBA", (1500, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 290, 290), fill=color)
    draw.ellipse((40, 40, 260, 260), outline=accent, width=10)
    draw.polygon([(150, 75), (215, 100), (205, 185), (150, 228), (95, 185), (85, 100)], fill=(255, 255, 255))
    draw.line([(115, 150), (143, 180), (190, 118)], fill=color, width=18, joint="curve")
    draw.text((330, 55), words[0], font=ImageFont.truetype(str(FONTS / "DejaVuSerif-Bold.ttf"), 120), fill=color)
    if len(words) > 1:
        draw.text((335, 200), words[1].upper(), font=ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 62), fill=accent)
    image = image.crop(image.getbbox())
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def signature_png(name: str) -> bytes:
    """A handwritten-looking signature: the name in a slanted italic with a flourish under it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (1000, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((40, 40), name, font=ImageFont.truetype(str(FONTS / "DejaVuSerif-Italic.ttf"), 120),
                               fill=(22, 40, 90))
    image = image.transform(image.size, Image.AFFINE, (1, 0.35, -60, 0, 1, 0), resample=Image.BICUBIC)
    ImageDraw.Draw(image).line([(70, 225), (400, 238), (760, 214), (900, 190)], fill=(22, 40, 90), width=6, joint="curve")
    image = image.crop(image.getbbox())
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_provider(session):
    """The demo providers (saas.demo), the first one with a logo and a signature; returns it, bound."""
    from sqlalchemy import select

    from saas import storage
    from saas.demo import load_demo
    from saas.tenancy import bind_tenant, platform_access
    from saas.tenants.models import Tenant

    load_demo(session)
    with platform_access(session):
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "bedriftstjenesten"))
        tenant.logo_file = storage.save_bytes(logo_png(tenant.name), "png", "logo.png", "image/png").key
        tenant.signature_file = storage.save_bytes(signature_png(tenant.signatory_name), "png", "signatur.png", "image/png").key
    bind_tenant(session, tenant.id)
    return tenant


def certified_companies(session, tenant, count: int, today: date):
    """``count`` companies with a sub-unit and a certificate each, issued today: first the demo's Jondal Bygg AS
    in class A+ (the README's picture; the demo has no certification work of its own for it), then made-up
    ones in class A."""
    from sqlalchemy import select

    from saas.certification.demo import previous_certificate
    from saas.clients.models import ClientCompany, SubUnit
    from saas.norway import generate_valid_org_numbers
    from saas.tenants.models import Role, User, UserRole

    staff = session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.REVIEWER.value)
                            .order_by(User.id)).first()
    companies = list(session.scalars(select(ClientCompany).where(ClientCompany.name == "Jondal Bygg AS")))
    org_numbers = generate_valid_org_numbers(9771, count)
    while len(companies) < count:
        n = len(companies)
        company = ClientCompany(name=f"Benkbedrift {n:03d} AS", org_number=next(org_numbers), org_form="AS",
                                address=f"Industrivegen {n}", postcode="3616", city="Kongsberg", employee_count=20)
        session.add(company)
        session.flush()
        session.add(SubUnit(company_id=company.id, name=f"Avdeling Ålgård {n}", address="Hovedvegen 1, 4330 Ålgård"))
        companies.append(company)
    session.flush()
    # previous_certificate makes last year's certificate: seen from a year ahead, it is this year's, issued today.
    ahead = today + timedelta(days=365)
    return [previous_certificate(session, tenant, c, staff, staff, ahead, cert_class="A+" if n == 0 else "A", issued_days_ago=365)
            for n, c in enumerate(companies)]


# -- the measurement ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=60)
    parser.add_argument("--docs", type=Path, help="also write page 1 of the demo's A+ certificate as a PNG here")
    args = parser.parse_args()

    from weasyprint import HTML

    from saas.certification import documents
    from saas.pdf import render_html

    app = bench_app("saas_bench_certificate_render", PUBLIC_BASE_URL="https://hms-sertifikat.no")
    db = app.extensions["saas.db"]
    today = date.today()
    with app.app_context():
        with db.session_scope() as session:
            tenant = demo_provider(session)
            tenant_id = tenant.id
            ids = [c.id for c in certified_companies(session, tenant, args.certificates + 1, today)]
        if args.docs:
            write_docs_picture(db, tenant_id, ids[0], args.docs)

        from saas.tenancy import bind_tenant

        product, bare = [], []
        with db.session_scope() as session:
            bind_tenant(session, tenant_id)
            documents.render_and_store(session, ids[0])  # warm-up: fonts, templates, the first query plans
            HTML(string=render_html("certificate.html", **documents.certificate_data(session, ids[0]))).write_pdf()
            for n, certificate_id in enumerate(ids[1:]):
                html = render_html("certificate.html", **documents.certificate_data(session, certificate_id))
                runs = [("product", lambda: documents.render_and_store(session, certificate_id)),
                        ("bare", lambda: HTML(string=html).write_pdf())]
                for name, run in runs if n % 2 else reversed(runs):  # alternate the order: no side profits from it
                    start = time.perf_counter()
                    run()
                    (product if name == "product" else bare).append(time.perf_counter() - start)

    p, b = statistics.median(product), statistics.median(bare)
    paired = statistics.median(x / y - 1 for x, y in zip(product, bare))
    print(f"certificates rendered: {len(product)} (backend {db.engine.dialect.name})")
    print(f"product render_and_store: median {p * 1000:.1f} ms, min {min(product) * 1000:.1f} ms, max {max(product) * 1000:.1f} ms")
    print(f"bare WeasyPrint, same HTML: median {b * 1000:.1f} ms, min {min(bare) * 1000:.1f} ms, max {max(bare) * 1000:.1f} ms")
    print(f"overhead: {(p - b) / b * 100:+.1f} % of the medians, {paired * 100:+.1f} % median of paired runs (target <= 20 %)")


def write_docs_picture(db, tenant_id: int, certificate_id: int, target: Path) -> None:
    """Render the demo company's class A+ certificate and keep page 1 as a PNG at 60 dpi."""
    from saas.certification import documents
    from saas.tenancy import bind_tenant

    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        pdf_bytes = documents.render_certificate(documents.certificate_data(session, certificate_id))
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "certificate.pdf"
        pdf.write_bytes(pdf_bytes)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(Path(tmp) / "page")],
                       check=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((Path(tmp) / "page.png").read_bytes())
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
