"""The report: document nodes, chapters, words (templates and catalogues), HTML, PDF and Excel."""
