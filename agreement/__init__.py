"""Inter-annotator agreement (MUC, B3, CEAF, LEA, BLANC, visual) and adjudication. See README.md."""
