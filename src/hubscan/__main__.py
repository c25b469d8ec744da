from hubscan.cli import cli

cli()
