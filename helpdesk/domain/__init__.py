"""Pure domain rules: no Flask, no SQLAlchemy, time passed in as an argument."""
