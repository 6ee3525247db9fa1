"""Generated answers: chat models, prompts, and the check of each generated sentence."""
