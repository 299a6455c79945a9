"""``python -m soskulib`` is the same as the ``sosku`` command."""

from soskulib.cli import main

raise SystemExit(main())
