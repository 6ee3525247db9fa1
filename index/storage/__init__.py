"""The index: Chroma (or a Chroma server), the keyword index and the sentence evidence, kept in step."""
