"""``python -m saas`` is the ``saas`` command."""
from saas.cli import main

if __name__ == "__main__":
    main(prog_name="saas")
