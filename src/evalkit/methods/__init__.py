"""Pure methods: frames in, frozen results out; no files, no words, no language."""
