# Scheduler framework and policies (issue 4).
