"""The extractive answer core: retrieve, score sentences, judge, decide and quote."""
