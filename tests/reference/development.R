# Reference values for soskulib.development (continuity of care, reach against need, placements).
# Run: Rscript tests/reference/development.R  (writes development_contacts.csv and
# development_reference.json next to this script). Base R only (plus jsonlite).
set.seed(20261130)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

# Contacts: 40 clients, 1-12 individual contacts each, 5 workers, client-specific continuity.
n <- 40
k <- sample(1:12, n, replace = TRUE)
rows <- do.call(rbind, lapply(seq_len(n), function(i) {
  usual <- sample(1:5, 1)
  p <- runif(1, 0.3, 1)
  w <- ifelse(runif(k[i]) < p, usual, sample(1:5, k[i], replace = TRUE))
  data.frame(municipality = ifelse(i <= 20, "092", "179"), client_id = sprintf("c%02d", i),
             mode = "individual", worker = sprintf("T%d", w))
}))
write.csv(rows, file.path(here, "development_contacts.csv"), row.names = FALSE)

# UPC (Breslau & Reeb 1975): max_k n_ik / n_i
upc <- tapply(rows$worker, rows$client_id, function(w) max(table(w)) / length(w))
nc <- tapply(rows$worker, rows$client_id, length)
muni <- tapply(rows$municipality, rows$client_id, function(m) m[1])
keep <- nc >= 3
by_muni <- lapply(split(upc[keep], muni[keep]), function(u) {
  tt <- t.test(u)
  list(n = length(u), mean = mean(u), ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
       share75 = mean(u >= 0.75))
})

# Reach against need: exact Poisson CI (poisson.test), per 1000
need <- c(6100, 380)
x <- c(307, 3)
reach <- lapply(1:2, function(j) {
  ci <- poisson.test(x[j], T = need[j] / 1000)$conf.int
  list(x = x[j], need = need[j], rate = 1000 * x[j] / need[j], ci_low = ci[1], ci_high = ci[2])
})

# Wilson CI for placements held (prop.test without continuity correction)
held <- c(14, 37); known <- c(20, 52)
wilson <- lapply(1:2, function(j) {
  ci <- prop.test(held[j], known[j], correct = FALSE)$conf.int
  list(held = held[j], known = known[j], ci_low = ci[1], ci_high = ci[2])
})

out <- list(upc = as.list(upc), n_contacts = as.list(nc), by_municipality = by_muni,
            reach = reach, wilson = wilson, R = R.version.string)
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = 15, pretty = TRUE),
           file.path(here, "development_reference.json"))
