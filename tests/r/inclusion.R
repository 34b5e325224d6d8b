# Inclusion probabilities of a CSV frame of PSUs (stratum,psu,size) by R's sampling package, for the
# check of `papi sample draw` in tests/sample_draw.rs: sampling::inclusionprobabilities(size, n) within
# each stratum.
#
# Usage: Rscript tests/r/inclusion.R FRAME.csv N OUT.csv
# Writes stratum,psu,inclusion_probability with 17 significant digits (write.csv keeps only 15).

suppressPackageStartupMessages(library(sampling))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript inclusion.R FRAME.csv N OUT.csv")
frame <- read.csv(args[1], colClasses = c("character", "character", "numeric"),
                  encoding = "UTF-8", check.names = FALSE)
n <- as.numeric(args[2])

out <- NULL
for (stratum in unique(frame$stratum)) {
  rows <- frame[frame$stratum == stratum, ]
  # Zero sizes are papi's to refuse; R's warning about them would only be noise here.
  pik <- suppressWarnings(inclusionprobabilities(rows$size, n))
  out <- rbind(out, data.frame(stratum = rows$stratum, psu = rows$psu,
                               inclusion_probability = sprintf("%.17g", pik)))
}
write.csv(out, args[3], row.names = FALSE, quote = TRUE, fileEncoding = "UTF-8")
