"""The read side: named queries, rendering, plots, headlines, catalog statistics and Datasette. Reads only."""
