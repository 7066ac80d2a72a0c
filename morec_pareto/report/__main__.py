"""`python -m morec_pareto.report`: the report command line."""
from morec_pareto.report.cli import main

raise SystemExit(main())
