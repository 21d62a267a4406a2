#!/usr/bin/env bash
# Development only, before the first release: regenerate the newest migration from the models.
# Usage: scripts/regen-dev-migration.sh 0002 "hms work"
set -euo pipefail
cd "$(dirname "$0")/.."
rev="$1"; message="$2"
old=$(ls migrations/versions/*_"$rev"_*.py)
rm -f "$old"
tmp=$(mktemp -d)
.venv/bin/python - "$tmp" "$rev" "$message" <<'PY'
import sys
from alembic import command
from saas.migrate import alembic_config, upgrade
url = f"sqlite:///{sys.argv[1]}/db.sqlite3"
upgrade(url)
command.revision(alembic_config(url), message=sys.argv[3], autogenerate=True, rev_id=sys.argv[2])
PY
new=$(ls migrations/versions/*_"$rev"_*.py)
.venv/bin/python - "$new" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
from saas import models  # noqa: F401
from saas.tenancy import tenant_tables
tables = [t for t in re.findall(r"op.create_table\('(\w+)'", s) if t in set(tenant_tables())]
marker = "    # ### end Alembic commands ###\n"
i = s.index(marker)
s = s[:i] + marker + f"    for table in {tuple(tables)!r}:\n        enable_row_level_security(op, table)\n" + s[i + len(marker):]
s = s.replace("import saas.db\n", "import saas.db\nfrom saas.migrate import enable_row_level_security\n", 1)
open(p, "w").write(s)
PY
echo "regenerated $new"
