# Reference values for soskulib.meta, computed with R metafor.
#
# Run from the repository root:  Rscript tests/reference/metafor.R
# Writes tests/reference/metafor.json.  The tests read the committed JSON (CI has no R).
#
# Data: metafor's own public data sets (dat.bcg, dat.normand1999) and seeded simulated sets
# chosen for edge cases (tau^2 estimated 0, k = 1, 2, 3, identical yi, huge vi spread).
# For every data set and every method x test combination we store rma() + predict() +
# weights() + leave1out(); plus meta-regression, subgroup and escalc(SMCR/SMCC) cases.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

methods <- c("FE", "DL", "REML", "PM")
tests <- c("z", "knha")

# metafor 3.8 returns no PI for FE models; with tau2 = 0 the PI is the CI.
pi_lb <- function(pr) if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb
pi_ub <- function(pr) if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub

fit_to_list <- function(res, with_loo = TRUE) {
  pr <- predict(res)
  out <- list(
    k = res$k, estimate = c(res$beta), se = res$se, pval = res$pval,
    ci_low = res$ci.lb, ci_high = res$ci.ub, tau2 = res$tau2,
    i2 = res$I2, h2 = res$H2, q = res$QE, q_pval = res$QEp, se_tau2 = res$se.tau2,
    pi_low = pi_lb(pr), pi_high = pi_ub(pr), pred_se = pr$se,
    weights = unname(weights(res))
  )
  if (with_loo && res$k > 1) {
    l1o <- suppressWarnings(leave1out(res))
    out$loo <- list(
      estimate = l1o$estimate, se = l1o$se, pval = l1o$pval,
      ci_low = l1o$ci.lb, ci_high = l1o$ci.ub, q = l1o$Q, q_pval = l1o$Qp,
      tau2 = if (is.null(l1o$tau2)) rep(0, res$k) else l1o$tau2,
      i2 = l1o$I2, h2 = l1o$H2
    )
  }
  out
}

fit_all <- function(yi, vi) {
  fits <- list()
  for (m in methods) for (t in tests) {
    res <- suppressWarnings(rma(yi, vi, method = m, test = t))
    fits[[paste(m, t, sep = "_")]] <- fit_to_list(res)
  }
  fits
}

cases <- list()

# 1. BCG vaccine trials, log risk ratios (Colditz et al. 1994; metafor dat.bcg).
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
cases$bcg <- list(yi = c(bcg$yi), vi = c(bcg$vi), labels = paste(bcg$author, bcg$year))

# 2. Normand (1999) length of hospital stay, raw mean difference.
nor <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i,
              m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
cases$normand1999 <- list(yi = c(nor$yi), vi = c(nor$vi), labels = as.character(nor$source))

# 3. Simulated, moderate heterogeneity, k = 20.
set.seed(20240501)
vi <- runif(20, 0.01, 0.2)
yi <- rnorm(20, 0.4, sqrt(vi + 0.05))
cases$sim_k20 <- list(yi = yi, vi = vi, labels = paste("S", 1:20))

# 4. Simulated with little dispersion: every estimator gives tau^2 = 0.
set.seed(11)
vi <- runif(8, 0.02, 0.1)
yi <- 0.3 + 0.3 * rnorm(8) * sqrt(vi)
cases$sim_tau0 <- list(yi = yi, vi = vi, labels = paste("S", 1:8))

# 5. Simulated k = 3 and k = 2, and a single study.
set.seed(3)
vi <- runif(3, 0.02, 0.08)
yi <- rnorm(3, 0.5, sqrt(vi + 0.1))
cases$sim_k3 <- list(yi = yi, vi = vi, labels = paste("S", 1:3))
cases$k2 <- list(yi = c(0.10, 0.65), vi = c(0.02, 0.05), labels = c("A", "B"))
cases$k1 <- list(yi = c(0.42), vi = c(0.03), labels = c("A"))

# 6. Identical yi (Q = 0) and a huge spread of sampling variances.
cases$identical_yi <- list(yi = rep(0.25, 5), vi = c(0.01, 0.02, 0.05, 0.1, 0.2),
                           labels = paste("S", 1:5))
set.seed(99)
vi <- 10^seq(-4, 2, length.out = 7)
yi <- rnorm(7, 0.2, sqrt(vi + 0.04))
cases$huge_vi_spread <- list(yi = yi, vi = vi, labels = paste("S", 1:7))

for (nm in names(cases)) {
  cases[[nm]]$fits <- fit_all(cases[[nm]]$yi, cases[[nm]]$vi)
}

# Meta-regression, one continuous moderator: rma(yi, vi, mods = ~ ablat).
newx <- c(10, 30, 50)
regression <- list(yi = c(bcg$yi), vi = c(bcg$vi), mods = bcg$ablat, newmods = newx, fits = list())
for (m in methods) for (t in tests) {
  res <- suppressWarnings(rma(yi, vi, mods = ~ ablat, data = bcg, method = m, test = t))
  pr <- predict(res, newmods = newx)
  regression$fits[[paste(m, t, sep = "_")]] <- list(
    coef = c(res$beta), se = res$se, pval = res$pval, ci_low = res$ci.lb, ci_high = res$ci.ub,
    qm = res$QM, qm_df = res$QMdf, qm_pval = res$QMp, qe = res$QE, qe_pval = res$QEp,
    tau2 = res$tau2, i2 = res$I2, h2 = res$H2, r2 = if (is.null(res$R2)) NA else res$R2,
    pred = pr$pred, pred_se = pr$se, pred_ci_low = pr$ci.lb, pred_ci_high = pr$ci.ub,
    pred_pi_low = pi_lb(pr), pred_pi_high = pi_ub(pr)
  )
}

# Subgroups: bcg by allocation. Separate rma() per subgroup; Q-between from
# (a) the mixed-effects model rma(yi, vi, mods = ~ factor(alloc)) (common tau^2) and
# (b) an FE model over the subgroup estimates (separate tau^2 per subgroup).
subgroup <- list(yi = c(bcg$yi), vi = c(bcg$vi), groups = bcg$alloc, fits = list())
for (m in methods) for (t in tests) {
  lev <- sort(unique(bcg$alloc))
  per <- lapply(lev, function(g) {
    suppressWarnings(rma(yi, vi, data = bcg, subset = alloc == g, method = m, test = t))
  })
  est <- sapply(per, function(r) c(r$beta))
  sei <- sapply(per, function(r) r$se)
  mixed <- suppressWarnings(rma(yi, vi, mods = ~ factor(alloc), data = bcg, method = m, test = t))
  sep <- rma(est, sei = sei, mods = ~ factor(lev), method = "FE")
  subgroup$fits[[paste(m, t, sep = "_")]] <- list(
    groups = lev, k = sapply(per, function(r) r$k), estimate = est, se = sei,
    ci_low = sapply(per, function(r) r$ci.lb), ci_high = sapply(per, function(r) r$ci.ub),
    tau2 = sapply(per, function(r) r$tau2), i2 = sapply(per, function(r) r$I2),
    q = sapply(per, function(r) r$QE),
    pi_low = sapply(per, function(r) pi_lb(predict(r))),
    pi_high = sapply(per, function(r) pi_ub(predict(r))),
    qb_mixed = mixed$QM, qb_mixed_df = mixed$QMdf, qb_mixed_pval = mixed$QMp,
    qb_mixed_tau2 = mixed$tau2,
    qb_separate = sep$QM, qb_separate_df = sep$QMdf[1], qb_separate_pval = sep$QMp
  )
}

# Standardised mean change: escalc(SMCR) and escalc(SMCC), exact-gamma J, vtype = "LS".
chg <- data.frame(
  n = c(25, 40, 12, 60), mean_pre = c(20.1, 18.4, 22.0, 19.5), sd_pre = c(5.2, 6.1, 4.4, 5.8),
  mean_post = c(23.4, 19.9, 21.2, 24.0), sd_post = c(5.9, 6.6, 4.1, 6.2),
  r_prepost = c(0.55, 0.70, 0.40, 0.62)
)
smcr <- escalc(measure = "SMCR", m1i = mean_post, m2i = mean_pre, sd1i = sd_pre,
               ni = n, ri = r_prepost, data = chg)
smcc <- escalc(measure = "SMCC", m1i = mean_post, m2i = mean_pre, sd1i = sd_post,
               sd2i = sd_pre, ni = n, ri = r_prepost, data = chg)
effects <- list(table = chg, smcr_yi = c(smcr$yi), smcr_vi = c(smcr$vi),
                smcc_yi = c(smcc$yi), smcc_vi = c(smcc$vi))

out <- list(metafor_version = as.character(packageVersion("metafor")),
            r_version = R.version.string,
            cases = cases, regression = regression, subgroup = subgroup, effects = effects)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "string", pretty = FALSE),
           "tests/reference/metafor.json")
cat("wrote tests/reference/metafor.json\n")
