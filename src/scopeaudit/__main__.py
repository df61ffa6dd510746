"""Entry point for ``python -m scopeaudit``."""

from scopeaudit.cli import main

if __name__ == "__main__":
    main()
