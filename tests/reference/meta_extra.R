# Reference values for the metafor features added in issue 16 (soskulib.meta,
# soskulib.meta_diagnostics): tau^2 estimators ML/HE/SJ/EB/HS, tests t/adhoc, fit statistics,
# QM of the intercept-only model, Q-profile confint(), leave1out() with a failing refit,
# influence(), cumul(res, order = x) ordered by a column, baujat().
#
# Run from the repository root:  Rscript tests/reference/meta_extra.R
# Writes tests/reference/meta_extra.json (the tests read it; CI has no R).
#
# Data: new seeded random sets (seed 16xxx, never used to develop the code), metafor's
# dat.hackshaw1998 and dat.pagliaro1992-free data set dat.molloy2014, and the failing case of
# issue 16 (REML leave-one-out refit that does not converge).

pdf(NULL)  # baujat() draws; keep no Rplots.pdf
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

methods <- c("FE", "DL", "REML", "PM", "ML", "HE", "SJ", "EB", "HS")
tests <- c("z", "t", "knha", "adhoc")
nz <- function(x) if (is.null(x)) NA else x

fit_list <- function(res) {
  pr <- predict(res)
  fs <- fitstats(res, REML = FALSE)
  fr <- fitstats(res, REML = TRUE)
  list(k = res$k, estimate = c(res$beta), se = res$se, zval = res$zval, pval = res$pval,
       ci_low = res$ci.lb, ci_high = res$ci.ub, tau2 = res$tau2, se_tau2 = nz(res$se.tau2),
       i2 = res$I2, h2 = res$H2, q = res$QE, q_pval = res$QEp, qm = res$QM, qm_pval = res$QMp,
       pi_low = nz(pr$pi.lb), pi_high = nz(pr$pi.ub),
       ll_ML = fs[1, 1], dev_ML = fs[2, 1], AIC_ML = fs[3, 1], BIC_ML = fs[4, 1],
       AICc_ML = fs[5, 1], ll_REML = fr[1, 1], dev_REML = fr[2, 1], AIC_REML = fr[3, 1],
       BIC_REML = fr[4, 1], AICc_REML = fr[5, 1])
}

ci_list <- function(res) {
  ci <- tryCatch(suppressWarnings(confint(res)), error = function(e) NULL)
  if (is.null(ci)) return(NULL)
  r <- ci$random
  list(tau2 = unname(r[1, ]), tau = unname(r[2, ]), i2 = unname(r[3, ]), h2 = unname(r[4, ]))
}

cases <- list()
set.seed(16001)
for (j in 1:14) {
  k <- c(2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 12, 15, 20, 30)[j]
  vi <- runif(k, 0.005, 0.3)
  tau2 <- c(0, 0.02, 0.1, 0.3)[(j %% 4) + 1]
  yi <- rnorm(k, 0.3, sqrt(vi + tau2))
  cases[[sprintf("rand%02d", j)]] <- list(yi = yi, vi = vi)
}
hack <- dat.hackshaw1998
cases$hackshaw1998 <- list(yi = hack$yi, vi = hack$vi)
mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
cases$molloy2014 <- list(yi = c(mol$yi), vi = c(mol$vi))
cases$issue16 <- list(
  yi = c(-0.2636, -0.4318, -0.3915, -0.8646, 0.2837, 0.4169, 0.1533, 0.1317, -0.9525, -0.1734,
         0.1425, 0.4919, 0.0361, -0.3309, -0.4408),
  vi = c(0.1624, 0.394, 0.0364, 0.3246, 0.3376, 0.2358, 0.186, 0.2863, 0.2085, 0.2534, 0.118,
         0.146, 0.1899, 0.378, 0.2603))

for (nm in names(cases)) {
  yi <- cases[[nm]]$yi
  vi <- cases[[nm]]$vi
  fits <- list()
  for (m in methods) for (t in tests) {
    res <- tryCatch(suppressWarnings(rma(yi, vi, method = m, test = t)),
                    error = function(e) NULL)
    if (is.null(res)) next
    key <- paste(m, t, sep = "_")
    fits[[key]] <- fit_list(res)
    if (t %in% c("z", "knha")) fits[[key]]$confint <- ci_list(res)
  }
  cases[[nm]]$fits <- fits
}

# leave1out with a failing REML refit (issue 16): NA in that row, the rest as usual
iss <- cases$issue16
res <- rma(iss$yi, iss$vi, method = "REML")
l1o <- suppressWarnings(leave1out(res))
loo_issue16 <- list(estimate = l1o$estimate, se = l1o$se, tau2 = l1o$tau2, q = l1o$Q,
                    i2 = l1o$I2, ci_low = l1o$ci.lb, ci_high = l1o$ci.ub)

# level given as a percentage; sei instead of vi; missing values dropped (na.action)
r <- cases$rand06
lev <- rma(r$yi, r$vi, level = 90)
sei <- rma(r$yi, sei = sqrt(r$vi), method = "DL")
yna <- r$yi; yna[2] <- NA
vna <- r$vi; vna[4] <- NA
nafit <- suppressWarnings(rma(yna, vna))
misc <- list(level90 = list(ci_low = lev$ci.lb, ci_high = lev$ci.ub, pi_low = predict(lev)$pi.lb,
                            pi_high = predict(lev)$pi.ub),
             sei_dl = list(estimate = c(sei$beta), tau2 = sei$tau2, se = sei$se),
             na = list(k = nafit$k, estimate = c(nafit$beta), tau2 = nafit$tau2))

# influence diagnostics, cumulative meta-analysis and Baujat plot data
infl_out <- list()
for (nm in c("rand07", "rand10", "rand12", "hackshaw1998", "molloy2014")) {
  d <- cases[[nm]]
  for (key in c("REML_z", "DL_z", "REML_knha", "FE_z")) {
    mt <- strsplit(key, "_")[[1]]
    res <- rma(d$yi, d$vi, method = mt[1], test = mt[2])
    inf <- influence(res)
    ord <- seq_along(d$yi) %% 3 + d$vi   # an order column with ties broken by vi
    cm <- cumul(res, order = ord)
    bj <- baujat(res)
    infl_out[[paste(nm, key, sep = "_")]] <- list(
      yi = d$yi, vi = d$vi, method = mt[1], test = mt[2], order_by = ord,
      rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
      cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, qe_del = inf$inf$QE.del,
      hat = inf$inf$hat, weight = inf$inf$weight, dfbetas = inf$dfbs$intrcpt,
      inf = inf$inf$inf == "*",
      cumul = list(estimate = cm$estimate, se = cm$se, pval = cm$pval, ci_low = cm$ci.lb,
                   ci_high = cm$ci.ub, q = cm$Q, tau2 = nz(cm$tau2), i2 = cm$I2),
      baujat_x = bj$x, baujat_y = bj$y)
  }
}

# meta-regression: coefficient named after the moderator, QM, fit statistics
d <- cases$rand13
x <- seq_along(d$yi) / 10
reg <- rma(d$yi, d$vi, mods = ~ x, method = "ML")
regression <- list(yi = d$yi, vi = d$vi, x = x, names = rownames(reg$beta),
                   estimate = c(reg$beta), qm = reg$QM, ll = c(logLik(reg)),
                   aic = AIC(reg), bic = BIC(reg), confint_tau2 = unname(confint(reg)$random[1, ]))

out <- list(metafor_version = as.character(packageVersion("metafor")),
            r_version = R.version.string, cases = cases, loo_issue16 = loo_issue16,
            misc = misc, influence = infl_out, regression = regression)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "string", pretty = FALSE),
           "tests/reference/meta_extra.json")
cat("wrote tests/reference/meta_extra.json\n")
