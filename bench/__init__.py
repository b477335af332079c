"""`make bench`: speed measurements, never timed tests. Each bench_*.py module has NAME and run(quick)."""
