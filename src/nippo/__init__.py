"""nippo: the reference service, a daily learning-report service (the seed's own domain).

Learners keep daily reports (tasks with durations, what they learned, what they
felt, next steps), the database keeps study-time totals, mentors leave
feedback. It reads and writes the seed's Markdown format.
"""
