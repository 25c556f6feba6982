"""Demo data for ``hoa seed-demo``: the seed data (``data``) and what builds it (``builder``)."""
