from isc.cli import main

raise SystemExit(main())
