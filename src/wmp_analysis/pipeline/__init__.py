"""Pipeline: run the notebooks in their declared order and publish the pack."""
