# Reference for soskulib.meta_multivariate (issue 16): rma.mv with a stated within-municipality
# sampling correlation rho and a municipality random intercept, then robust() by municipality
# (CR1) and clubSandwich's CR2 with Satterthwaite df (coef_test, conf_int).
# Run from the repository root:  Rscript tests/reference/meta_multivariate.R
# Writes tests/reference/meta_multivariate.json. New seeded data (seed 16401).
suppressPackageStartupMessages({
  library(metafor)
  library(clubSandwich)
  library(jsonlite)
})
set.seed(16401)
cases <- list()
for (j in 1:6) {
  m <- c(4, 6, 6, 7, 9, 9)[j]
  rho <- c(0.6, 0.3, 0.8, 0.5, 0.6, 0)[j]
  sd_mun <- c(0.2, 0, 0.15, 0.3, 0.1, 0.2)[j]
  rows <- list()
  for (g in seq_len(m)) {
    ninst <- sample(1:4, 1, prob = c(0.15, 0.35, 0.3, 0.2))
    n <- sample(15:120, 1)
    vi <- (2 * (1 - 0.5) / n + 0.1) * runif(ninst, 0.7, 1.3)
    u <- rnorm(1, 0, sd_mun)
    S <- rho * outer(sqrt(vi), sqrt(vi)); diag(S) <- vi
    e <- as.vector(t(chol(S)) %*% rnorm(ninst))
    rows[[g]] <- data.frame(municipality = sprintf("m%02d", g), yi = 0.3 + u + e, vi = vi)
  }
  d <- do.call(rbind, rows)
  V <- bldiag(lapply(split(d, factor(d$municipality, levels = unique(d$municipality))),
                     function(b) { S <- rho * outer(sqrt(b$vi), sqrt(b$vi)); diag(S) <- b$vi; S }))
  # tight nlminb tolerance where it converges (not at a boundary optimum), default otherwise
  fit <- tryCatch(rma.mv(yi, V, random = ~ 1 | municipality, data = d, method = "REML",
                         control = list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000)),
                  error = function(e) rma.mv(yi, V, random = ~ 1 | municipality, data = d,
                                             method = "REML"))
  rob <- robust(fit, cluster = d$municipality)
  cr2 <- coef_test(fit, vcov = "CR2", cluster = d$municipality, test = "Satterthwaite")
  cr2_ci <- conf_int(fit, vcov = "CR2", cluster = d$municipality, level = 0.95)
  cases[[j]] <- list(yi = d$yi, vi = d$vi, municipality = d$municipality, rho = rho,
                     sigma2 = fit$sigma2, estimate = c(fit$beta), se = fit$se, zval = fit$zval,
                     pval = fit$pval, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
                     loglik = c(logLik(fit)), robust_se = rob$se, robust_tval = rob$zval,
                     robust_pval = rob$pval, robust_ci_low = rob$ci.lb,
                     robust_ci_high = rob$ci.ub, robust_df = rob$ddf,
                     cr2_se = cr2$SE, cr2_df = cr2$df_Satt, cr2_pval = cr2$p_Satt,
                     cr2_ci_low = cr2_ci$CI_L, cr2_ci_high = cr2_ci$CI_U)
}
writeLines(toJSON(list(metafor_version = as.character(packageVersion("metafor")),
                       cases = cases), digits = NA, auto_unbox = TRUE),
           "tests/reference/meta_multivariate.json")
cat("wrote tests/reference/meta_multivariate.json\n")
