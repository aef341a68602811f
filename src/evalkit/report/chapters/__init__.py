"""Report chapters: functions of analysis results that return :class:`evalkit.report.document.Chapter` nodes."""
