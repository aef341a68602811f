"""What went in and what came out: funds, projects, firms, gross jobs, monitoring of a running programme."""
