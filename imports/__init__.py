"""Registrars' imports of students with their status, courses and credit records.

``reading`` turns an upload into rows, ``rows`` reads a row's cells, one module per kind of
file (``student_rows``, ``course_rows``, ``credit_rows``) checks and writes its rows, and
``services`` runs a job: the dry run and the all-or-nothing commit.
"""
