#!/usr/bin/env python3
"""Django's manage.py; the same as the ``leadqual`` console script."""

from leadqual.cli import main

if __name__ == "__main__":
    main()
