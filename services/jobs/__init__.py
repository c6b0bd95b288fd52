"""Jobs on procrastinate (PostgreSQL-backed): the task definitions, the worker and job admin."""
