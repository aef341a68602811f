"""The register of Norwegian restructuring programmes (see PROVENANCE.md in data/programmes/)."""
