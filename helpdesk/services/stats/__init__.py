"""Statistics: managers' figures from stored moments, portable between SQLite and PostgreSQL.

Owns the figures (figures), their SQL (queries, portable_sql), the daily rollup (rollup) and
noting what changes them (changes).
May use promise (the calendar), domain and models.
"""
