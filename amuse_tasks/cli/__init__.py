"""Console scripts of the amuse_tasks package (nothing imports these modules)."""
