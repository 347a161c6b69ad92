"""Revenue sharing in the platform (利益分享, S-B2..B4): agreements with their versions, the receipts,
indicators and factors imported from the tax and statistics systems, the engine's inputs made from them,
and the what-if preview of a draft version."""
