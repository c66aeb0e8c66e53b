"""Report: the briefing pack's tables, sentences, figures, pages, index and PDF."""
