from isc.cli import run

run()
