"""Grading detections against a sandbox's truth/defects: by key, and in time (range-based, event-wise and
point-adjusted)."""
