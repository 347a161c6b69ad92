"""Background jobs: long work (imports, exports, settlements, reports) run by a worker on django-tasks,
followed by the user on a job page with a progress bar, a log and a result file; and periodic work run on a
schedule. See docs/kit/jobs.md."""
