# The statistics oracle for papi's scoring engine: R's survey package (Lumley) computes the same
# estimates, standard errors, 95% intervals, degrees of freedom and design effects from the same data,
# written by tests/r_crosscheck.rs.
#
# Usage: Rscript crosscheck.R scores.csv combos.csv out.csv BY LAYOUT [sex_margins.csv district_margins.csv]
#   scores.csv: design columns (stratum, cluster, weight), a domain column if any, and for each
#               indicator k the columns num_k (w-free score, 0 when missing) and den_k (1 when present).
#   combos.csv: combo, indicator, coefficient, constant: sub-dimensions, dimensions and the total as
#               constant + sum(coefficient * indicator estimate).
#   BY:         a domain column, or - for the whole sample.
#   LAYOUT:     strata+cluster, strata, cluster or none: which design columns the design uses.
# Writes out.csv: group, level, id, estimate, se, ci_low, ci_high (t, df = degf(design)),
# ci_low_normal, ci_high_normal (R's default confint), df, deff.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust", digits = 17)

args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8")
combos <- read.csv(args[2], stringsAsFactors = FALSE)
by <- if (args[4] != "-") args[4] else NA
layout <- args[5]

indicators <- sub("^num_", "", grep("^num_", names(d), value = TRUE))
ids <- if (grepl("cluster", layout)) ~cluster else ~1
design <- if (grepl("strata", layout)) {
  svydesign(ids = ids, strata = ~stratum, weights = ~weight, data = d, nest = TRUE)
} else {
  svydesign(ids = ids, weights = ~weight, data = d)
}
if (length(args) >= 7) {
  # Raked to the margins of sex and district: estimates and SEs of the calibrated design.
  sex <- read.csv(args[6], stringsAsFactors = FALSE, encoding = "UTF-8")
  district <- read.csv(args[7], stringsAsFactors = FALSE, encoding = "UTF-8")
  design <- rake(design, list(~sex, ~district), list(sex, district),
                 control = list(maxit = 1000, epsilon = 1e-10))
}
# The whole design's degrees of freedom, for domains too (as confint(svyby(...), df = degf(design))).
df_design <- degf(design)

num <- as.formula(paste("~", paste0("num_", indicators, collapse = " + ")))
den <- as.formula(paste("~", paste0("den_", indicators, collapse = " + ")))

# Contrasts over the K x K ratios num_i/den_j that svyratio returns: pick the diagonal.
ratio_name <- function(k) paste0("num_", k, "/den_", k)
combo_ids <- unique(combos$combo)
contrasts <- list()
for (cid in combo_ids) {
  rows <- combos[combos$combo == cid, ]
  contrasts[[cid]] <- setNames(rows$coefficient, sapply(rows$indicator, ratio_name))
}
constant <- function(id) combos$constant[combos$combo == id][1]

# R reports no design effect for a contrast. papi's rule for a combination is R's own rule for a
# ratio (svyratio's deff is svytotal's of the ratio's residual): svytotal(deff = "replace") of the
# combination's residual, sum_k coefficient_k * (num_k - p_k den_k) / sum(w den_k), on the (domain's)
# design.
combo_deff <- function(dsg, cid) {
  v <- dsg$variables
  w <- weights(dsg)
  rows <- combos[combos$combo == cid, ]
  residual <- numeric(nrow(v))
  for (j in seq_len(nrow(rows))) {
    k <- rows$indicator[j]
    n_k <- v[[paste0("num_", k)]]
    d_k <- v[[paste0("den_", k)]]
    total_den <- sum(w * d_k)
    p <- sum(w * n_k) / total_den
    residual <- residual + rows$coefficient[j] * (n_k - p * d_k) / total_den
  }
  as.numeric(deff(svytotal(residual, dsg, deff = "replace")))
}

out <- list()
emit <- function(group, level, id, estimate, se, ci, ci_normal, deff) {
  out[[length(out) + 1]] <<- data.frame(group = group, level = level, id = id,
    estimate = estimate, se = se, ci_low = ci[1], ci_high = ci[2],
    ci_low_normal = ci_normal[1], ci_high_normal = ci_normal[2],
    df = df_design, deff = deff)
}

# Sub-dimensions, dimensions and the total of one group: contrasts of the ratios on its design.
emit_combos <- function(group, dsg) {
  r <- svyratio(num, den, dsg, covmat = TRUE)
  for (cid in combo_ids) {
    cc <- svycontrast(r, contrasts[[cid]])
    shift <- constant(cid)
    level <- strsplit(cid, ":")[[1]][1]
    emit(group, level, sub("^[a-z]+:", "", cid), as.numeric(coef(cc)) + shift,
         as.numeric(SE(cc)), as.numeric(confint(cc, df = df_design)) + shift,
         as.numeric(confint(cc)) + shift, combo_deff(dsg, cid))
  }
}

# deff() refuses an svyby result made with deff = "replace" (survey 4.1: it negates the setting as a
# logical), so the design effects are read where deff.svyby reads them.
svyby_deff <- function(b) {
  aa <- attr(b, "svyby")
  as.numeric(b[, max(aa$margins) + aa$nstats * (1 + aa$vars) + seq_len(aa$nstats)])
}

ratio_formulas <- function(k) {
  list(num = as.formula(paste0("~num_", k)), den = as.formula(paste0("~den_", k)))
}

if (is.na(by)) {
  for (k in indicators) {
    f <- ratio_formulas(k)
    r <- svyratio(f$num, f$den, design, deff = "replace")
    emit("", "indicator", k, as.numeric(coef(r)), as.numeric(SE(r)),
         as.numeric(confint(r, df = df_design)), as.numeric(confint(r)), as.numeric(deff(r)))
  }
  emit_combos("", design)
} else {
  # Indicators by domain as R's svyby reports them, intervals from confint(..., df = degf(design)).
  for (k in indicators) {
    f <- ratio_formulas(k)
    b <- svyby(f$num, as.formula(paste0("~", by)), design, svyratio, denominator = f$den,
               deff = "replace")
    ci <- confint(b, df = df_design)
    ci_normal <- confint(b)
    groups <- as.character(b[[by]])
    deffs <- svyby_deff(b)
    for (i in seq_along(groups)) {
      emit(groups[i], "indicator", k, as.numeric(coef(b))[i], as.numeric(SE(b))[i],
           ci[i, ], ci_normal[i, ], deffs[i])
    }
  }
  for (g in unique(d[[by]])) {
    # A domain within the full design (as svyby does): subsetting the design, never the data.
    emit_combos(g, subset(design, d[[by]] == g))
  }
}
write.csv(do.call(rbind, out), args[3], row.names = FALSE, fileEncoding = "UTF-8")
