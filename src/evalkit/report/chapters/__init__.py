"""The report's chapters: functions of the analysis results and the report's words that return a Chapter."""
