"""Chapters of the reports: functions of the results that return document nodes."""
