# The oracle for `papi compare` of two waves' interviews that share PSUs: R's survey package on the
# two waves stacked into one design (a commune in both waves is one PSU), the wave a domain.
# Linearization: svyby(svytotal, covmat = TRUE) over every indicator's numerator and denominator by
# wave, and each change (B - A of an indicator ratio, or of a sub-dimension, dimension or total, a
# linear combination of them) by svycontrast's delta method. The jackknife: the JKn replicate design of
# the stacked design, each change recomputed in every replicate with withReplicates.
#
# Usage: Rscript panel.R scores_a.csv scores_b.csv combos.csv out.csv VARIANCE
#   scores_*.csv, combos.csv: as crosscheck.R reads them, one file per wave.
#   VARIANCE: linearization or jackknife.
# Writes out.csv: level, id, change, se, df (degf of the stacked design).
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", digits = 17)

args <- commandArgs(trailingOnly = TRUE)
a <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
b <- read.csv(args[2], stringsAsFactors = FALSE, encoding = "UTF-8")
combos <- read.csv(args[3], stringsAsFactors = FALSE)
variance <- args[5]
a$wave <- "A"
b$wave <- "B"
d <- rbind(a, b)

indicators <- sub("^num_", "", grep("^num_", names(d), value = TRUE))
design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
if (variance == "jackknife") design <- as.svrepdesign(design, type = "JKn")
df_design <- degf(design)

# Each change as (indicator, coefficient) pairs: an indicator alone, or a combination.
changes <- list()
for (k in indicators) changes[[paste0("indicator:", k)]] <- setNames(1, k)
for (cid in unique(combos$combo)) {
  rows <- combos[combos$combo == cid, ]
  changes[[cid]] <- setNames(rows$coefficient, rows$indicator)
}

out <- list()
emit <- function(cid, change, se) {
  parts <- strsplit(cid, ":")[[1]]
  out[[length(out) + 1]] <<- data.frame(level = parts[1], id = parts[2], change = change, se = se,
                                        df = df_design)
}

if (variance == "linearization") {
  totals <- as.formula(paste("~", paste(c(paste0("num_", indicators), paste0("den_", indicators)),
                                        collapse = " + ")))
  t <- svyby(totals, ~wave, design, svytotal, covmat = TRUE)
  for (cid in names(changes)) {
    terms <- changes[[cid]]
    text <- paste(sprintf("%.17g * (`B:num_%s` / `B:den_%s` - `A:num_%s` / `A:den_%s`)",
                          terms, names(terms), names(terms), names(terms), names(terms)),
                  collapse = " + ")
    cc <- svycontrast(t, list(change = parse(text = text)[[1]]))
    emit(cid, as.numeric(coef(cc)), as.numeric(SE(cc)))
  }
} else {
  # Every change in one replicate: ratios by wave from the replicate's weights.
  all_changes <- function(w, data) {
    ratio <- function(k, wave) {
      in_wave <- data$wave == wave
      sum(w[in_wave] * data[[paste0("num_", k)]][in_wave]) /
        sum(w[in_wave] * data[[paste0("den_", k)]][in_wave])
    }
    sapply(changes, function(terms) {
      sum(terms * sapply(names(terms), function(k) ratio(k, "B") - ratio(k, "A")))
    })
  }
  r <- withReplicates(design, all_changes)
  for (i in seq_along(changes)) {
    emit(names(changes)[i], as.numeric(coef(r))[i], sqrt(diag(vcov(r)))[i])
  }
}
write.csv(do.call(rbind, out), args[4], row.names = FALSE, fileEncoding = "UTF-8")
