"""Finnish and English strings of the rendered reports (headings, captions, fixed prose).

Code-list labels (gender, target group, pathway, ...) live in :mod:`soskulib.schema`;
instrument and item labels in the instrument specs. This module holds everything else a report
reader sees, so that a report switches language with one parameter and a translator edits one
file.

Each entry maps a key to ``(Finnish, English)``. Strings may contain ``str.format`` fields.

Examples
--------
>>> from soskulib import labels
>>> labels.text("table", "fi"), labels.text("table", "en")
('Taulukko', 'Table')
>>> labels.text("report.municipality.title", "en", name="Vantaa")
'Municipality report: Vantaa'
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["fi", "en"]

#: Report languages; the first is the default.
LANGUAGES: tuple[str, ...] = ("fi", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # --- general furniture -------------------------------------------------------------------
    "table": ("Taulukko", "Table"),
    "figure": ("Kuvio", "Figure"),
    "contents": ("Sisällys", "Contents"),
    "download_csv": ("lataa CSV", "download CSV"),
    "download.excel": ("Excel", "Excel"),
    "download.excel.title": (
        "CSV Exceliin: puolipiste erottimena, desimaalipilkku, sivulla näkyvä tarkkuus, UTF-8 (BOM)",
        "CSV for Excel: UTF-8 with BOM, the precision shown on the page"),
    "download.machine": ("CSV (koneluettava)", "CSV (machine-readable)"),
    "download.machine.title": (
        "Koneluettava CSV: pilkku erottimena, desimaalipiste, täysi tarkkuus, UTF-8 (R, Python)",
        "Machine-readable CSV: comma-separated, decimal point, full precision, UTF-8 (R, Python)"),
    "built": ("Koottu", "Built"),
    "data_source": ("Aineisto", "Data source"),
    "checksum": ("tarkistussumma (SHA-256)", "checksum (SHA-256)"),
    "back_to_index": ("← kaikki raportit", "← all reports"),
    "generated_by": ("Tuotettu soskulib-työkalulla {version}", "Produced with soskulib {version}"),
    "suppressed_note": (
        "Alle {k} henkilön solut ja niistä pääteltävissä olevat solut on peitetty ({marker}).",
        "Cells with fewer than {k} people, and cells from which they could be deduced, are "
        "suppressed ({marker}).",
    ),
    "population_note": (
        "Tietosuoja ja julkaisuväestö: sukupuolen mukaiset tulokset esitetään naisista ja "
        "miehistä. Sukupuoliryhmä ”muu / ei tiedossa” esitetään kunnassa omana ryhmänään vain, "
        "jos siinä on vähintään {k} asiakasta ja jokaisella kunnan mittarilla vähintään {k} "
        "asiakasta, joilla on sekä alku- että loppuarviointi. Muuten ryhmän asiakkaat eivät ole "
        "mukana missään kunnan luvussa (ei tämän sivun, kansallisen raportin eikä aineiston "
        "laatu -sivun taulukoissa, kuvioissa, kokonaismäärissä, rivien täsmäytyksessä tai "
        "otsikkolauseissa), jotta heidän lukumääräänsä ei voi päätellä vähentämällä "
        "kokonaismäärästä naiset ja miehet. Jos kunnassa on alle {k} naista tai miestä, "
        "kummankaan ryhmän lukumäärää ei esitetä siellä, missä kokonaismäärä näkyy. "
        "Muut alle {k} henkilön luvut on peitetty ({marker}), samoin ne luvut, joista peitetyt "
        "voisi laskea. Myös kahden julkaistun luvun erotus on ryhmä ihmisiä: jos alkuarvioitujen "
        "ja täydellisten parien (alku- ja loppuarviointi) ero on 1–{k1}, alkuarvioitujen määrä "
        "peitetään ja muutostulokset näytetään; samoin peitetään esimerkiksi menetelmän saaneiden "
        "määrä, jos ilman sitä jääneitä on 1–{k1}. Koko sivusto on tarkistettu laskemalla jokaiselle peitetylle luvulle sen "
        "mahdollinen vaihteluväli kaikesta julkaistusta (sosku audit).",
        "Confidentiality and the publication population: results by gender are shown for women "
        "and men. The gender group “other / unknown” is shown as a group of its own in a "
        "municipality only where it has at least {k} clients and at least {k} clients with both "
        "a baseline and an end assessment on every instrument the municipality used. Otherwise "
        "its clients are left out of every figure about the municipality (the tables, figures, "
        "totals, row reconciliation and headline sentences of this page, of the national "
        "report and of the data-quality page), so that their number cannot be found by "
        "subtracting women and men from a total. Where a municipality has fewer than {k} women "
        "or men, neither group's number is shown where the total is. Other figures of fewer than {k} people are suppressed ({marker}), and so "
        "are the figures they could be computed from. The difference of two published numbers is "
        "a group of people too: where the clients with a baseline and the complete pairs "
        "(baseline and end) differ by 1–{k1}, the number with a baseline is suppressed and the "
        "change results are shown; likewise, e.g., the number of clients with a method is "
        "suppressed where 1–{k1} are without it. The whole site was checked by computing, "
        "for every suppressed figure, the range it could take given everything published "
        "(sosku audit).",
    ),
    "synthetic_banner": (
        "SYNTEETTINEN ESIMERKKIAINEISTO – luvut eivät kuvaa todellisia asiakkaita tai kuntia.",
        "SYNTHETIC DEMO DATA – the numbers do not describe real clients or municipalities.",
    ),
    "not_enough_data": (
        "Aineistoa ei ole riittävästi tämän osion laskemiseen ({what}).",
        "Not enough data to compute this section ({what}).",
    ),
    "module_missing": (
        "Tämä osio puuttuu: kirjastosta ei vielä löydy toimintoa {what}.",
        "This section is missing: the library does not yet provide {what}.",
    ),
    "all": ("kaikki", "all"),
    "total": ("yhteensä", "total"),
    "n": ("n", "n"),
    "missing": ("puuttuu", "missing"),
    # --- index page ----------------------------------------------------------------------------
    "index.title": ("Sosiaalisen kuntoutuksen arviointiraportit", "Social rehabilitation evaluation reports"),
    "index.lead": (
        "Sosiaalihuoltolain (1301/2014) 17 §:n mukaisen sosiaalisen kuntoutuksen kehittämisen ja "
        "asiakkaiden muutoksen arviointi. Jokainen raportti toimii ilman verkkoyhteyttä. Jokaisen "
        "taulukon voi ladata kahtena tiedostona: ”Excel” avautuu suoraan suomenkieliseen "
        "Exceliin (puolipiste erottimena, desimaalipilkku, sivulla näkyvä tarkkuus), ”CSV "
        "(koneluettava)” on ohjelmille kuten R ja Python (pilkku erottimena, desimaalipiste, "
        "täysi tarkkuus).",
        "Evaluation of the development of social rehabilitation and of its clients' change under the "
        "Social Welfare Act (1301/2014) §17. Every report works offline. Every table can be "
        "downloaded as two files: \"Excel\" opens directly in Excel (UTF-8 with BOM, the "
        "precision shown on the page), \"CSV (machine-readable)\" is for programs such as R "
        "and Python (comma-separated, decimal point, full precision).",
    ),
    "index.national": ("Valtakunnallinen synteesi", "National synthesis"),
    "index.municipalities": ("Kuntaraportit", "Municipality reports"),
    "index.supporting": ("Aineisto ja mittarit", "Data and instruments"),
    "index.col.municipality": ("Kunta / kuntayhtymä", "Municipality / joint authority"),
    "index.col.headline": ("Tiivistelmä", "Headline"),
    "index.source.input": ("{n} lähtötiedosto", "{n} input file"),
    "index.source.inputs": ("{n} lähtötiedostoa", "{n} input files"),
    "index.source.prepared": ("käsittely: {by}", "prepared by {by}"),
    "index.source.synthetic": ("synteettinen esimerkkiaineisto", "synthetic demo data"),
    # --- report titles -------------------------------------------------------------------------
    "report.data_quality.title": ("Aineiston laatu", "Data quality"),
    "report.municipality.title": ("Kuntaraportti: {name}", "Municipality report: {name}"),
    "report.national.title": ("Valtakunnallinen synteesi", "National synthesis"),
    "report.instruments.title": ("Mittarien psykometriikka", "Psychometrics of the instruments"),
    "report.subtitle": (
        "Sosiaalinen kuntoutus (SHL 1301/2014 17 §) – kehittävä arviointi",
        "Social rehabilitation (Social Welfare Act 1301/2014 §17) – developmental evaluation",
    ),
    # --- column headings shared by tables -------------------------------------------------------
    "col.municipality": ("kunta", "municipality"),
    "col.table": ("taulu", "table"),
    "col.rows_in": ("rivejä saapui", "rows in"),
    "col.rows_out": ("rivejä käsitelty", "rows out"),
    "col.rows_rejected": ("rivejä hylätty", "rows rejected"),
    "col.reconciles": ("täsmää", "reconciles"),
    "col.file": ("tiedosto", "file"),
    "col.column": ("sarake", "column"),
    "col.problems": ("havaintoja", "findings"),
    "col.reason": ("syy", "reason"),
    "col.rows": ("rivejä", "rows"),
    "col.instrument": ("mittari", "instrument"),
    "col.occasion": ("mittauskerta", "occasion"),
    "col.responses": ("vastauksia", "responses"),
    "col.items_answered": ("vastattuja osioita (%)", "items answered (%)"),
    "col.scorable": ("pisteytettävissä (%)", "scorable (%)"),
    "col.clients": ("asiakkaita", "clients"),
    "col.planned": ("suunniteltu", "planned"),
    "col.reach_pct": ("toteutuma (%)", "reached (%)"),
    "col.n": ("n", "n"),
    "col.share": ("osuus (%)", "share (%)"),
    "yes": ("kyllä", "yes"),
    "no": ("ei", "no"),
    # --- 00 data quality ---------------------------------------------------------------------
    "dq.arrived": ("Mitä saatiin ja keneltä", "What arrived from whom"),
    "dq.arrived.intro": (
        "Käsiteltyjen taulujen rivit kunnittain. Puuttuva taulu tai poikkeuksellisen pieni "
        "rivimäärä kertoo, että toimitus on vajaa: se kannattaa selvittää ennen tulosten tulkintaa. "
        "Arvioinnit ovat henkilöitä (yksi asiakasta ja mittauskertaa kohden): niiden määrät ovat "
        "mittaritietojen kattavuuden taulukossa, tietosuojattuina.",
        "Rows of each processed table by municipality. A missing table or an unusually small "
        "count means a delivery is incomplete: clear it up before reading any result. "
        "Assessments count people (one per client and occasion): their numbers are in the "
        "completeness table, protected.",
    ),
    "dq.arrived.caption": ("Käsitellyt rivit taulun ja kunnan mukaan", "Processed rows by table and municipality"),
    "dq.reconcile": ("Rivien täsmäytys", "Reconciled row counts"),
    "dq.reconcile.intro": (
        "Jokainen saapunut rivi on joko käsitelty tai hylätty perusteluineen; mitään ei kadonnut "
        "matkalla (saapuneet = käsitellyt + hylätyt).",
        "Every row that arrived was either processed or rejected with a reason; nothing was "
        "lost on the way (rows in = rows out + rows rejected).",
    ),
    "dq.reconcile.caption": ("Rivien täsmäytys taulukoittain (manifest.json)", "Row reconciliation per table (manifest.json)"),
    "dq.reconcile.ok": ("Kaikki taulut täsmäävät.", "Every table reconciles."),
    "dq.reconcile.bad": ("Täsmäämättömiä tauluja: {tables}.", "Tables that do not reconcile: {tables}."),
    "dq.problems": ("Tarkistusten havainnot", "Validation findings"),
    "dq.problems.intro": (
        "Tarkistussääntöjen havainnot tiedostoittain ja sarakkeittain (problems.csv). Yksittäiset "
        "rivit löytyvät tiedostosta; tässä näkyy, mihin korjauksia kannattaa kohdistaa.",
        "Findings of the validation rules by file and column (problems.csv). The rows themselves "
        "are in the file; this shows where corrections are most needed.",
    ),
    "dq.problems.caption": ("Havainnot tiedoston ja sarakkeen mukaan", "Findings by file and column"),
    "dq.problems.none": ("Tarkistukset eivät löytäneet ongelmia.", "Validation found no problems."),
    "dq.rejects": ("Hylätyt rivit", "Rejected rows"),
    "dq.rejects.intro": (
        "Hylätyt rivit ja hylkäyksen syyt. Hylätyt rivit eivät ole mukana analyyseissä, joten "
        "suuri osuus voi vääristää kunnan tuloksia.",
        "Rejected rows and why. Rejected rows are not analysed, so a large share can bias a "
        "municipality's results.",
    ),
    "dq.rejects.caption": ("Hylätyt rivit taulun ja syyn mukaan", "Rejected rows by table and reason"),
    "dq.rejects.none": ("Yhtään riviä ei hylätty.", "No rows were rejected."),
    "dq.attrition": ("Alku- ja loppuarvioinnit: mittausten kato", "Baseline and end assessments: measurement attrition"),
    "dq.attrition.intro": (
        "Muutosta voi arvioida vain asiakkailta, joilla on sekä alku- että loppuarviointi. Tämä "
        "on koko muutosanalyysin pullonkaula: puuttuvat loppuarvioinnit eivät todennäköisesti "
        "ole satunnaisia, joten pieni osuus heikentää tulosten luotettavuutta.",
        "Change can only be judged for clients with both a baseline and an end assessment. "
        "This is the bottleneck of every change analysis: missing end assessments are unlikely "
        "to be random, so a small share weakens every result."),
    "dq.attrition.finding": (
        "Kaikista alkuarvioinneista {pct} %:lla on loppuarviointi (kaikki kunnat ja mittarit).",
        "{pct}% of all baseline assessments have an end assessment (all municipalities and instruments)."),
    "dq.attrition.caption": ("Alkuarvioidut ja loppuarvioinnin saaneet mittarin ja kunnan mukaan",
                             "Clients with a baseline and with an end assessment by instrument and municipality"),
    "dq.attrition.figure": ("Loppuarvioinnin saaneiden osuus alkuarvioiduista kunnittain ja mittareittain",
                            "Share of baseline assessments with an end assessment by municipality and instrument"),
    "col.share_end": ("loppuarvioitu (%)", "with end assessment (%)"),
    "col.n_end_pairs": ("myös loppuarvioituja", "also at end"),
    "dq.completeness": ("Mittaritietojen kattavuus", "Completeness of the instruments"),
    "dq.completeness.intro": (
        "Arviointien määrä mittareittain ja mittauskerroittain, vastattujen osioiden osuus ja "
        "pisteytettävien vastausten osuus (mittarin puuttuvien osioiden säännön mukaan). "
        "Muutosta voi arvioida vain, jos sekä alku- että loppuarviointi on pisteytettävissä.",
        "Assessments per instrument and occasion, the share of items answered and the share of "
        "responses that can be scored under the instrument's missing-item rule. Change can only "
        "be judged when both baseline and end can be scored.",
    ),
    "dq.completeness.caption": ("Kattavuus mittarin ja mittauskerran mukaan", "Completeness by instrument and occasion"),
    "dq.completeness.figure": ("Pisteytettävien vastausten osuus kunnittain ja mittauskerroittain",
                               "Share of scorable responses by municipality and occasion"),
    "dq.headline": ("{rows} riviä käsitelty, {rejected} hylätty, {problems} tarkistushavaintoa.",
                    "{rows} rows processed, {rejected} rejected, {problems} validation findings."),
    # --- 10 municipality ---------------------------------------------------------------------
    "mu.context": ("Osahanke ja kohderyhmät", "Sub-project and target groups"),
    "mu.context.intro": (
        "Osahankkeen nimi, suunniteltu asiakasmäärä ja käytetyt mittarit sekä asiakkaat "
        "kohderyhmän ja sukupuolen mukaan (ESR edellytti sukupuolittain eriteltyä tietoa).",
        "The sub-project's name, planned number of clients and instruments, and the clients by "
        "target group and gender (the ESF required gender-disaggregated data)."),
    "mu.context.caption": ("Asiakkaat kohderyhmän ja sukupuolen mukaan", "Clients by target group and gender"),
    "mu.context.facts": ("Osahanke: {name}. Suunniteltu asiakasmäärä {planned}. Mittarit: {instruments}.",
                         "Sub-project: {name}. Planned clients {planned}. Instruments: {instruments}."),
    "mu.reach": ("Tavoittavuus suunnitelmaan nähden", "Reach against the plan"),
    "mu.reach.intro": (
        "Kuinka moni asiakas aloitti suhteessa suunnitelmaan ja miten aloitukset jakautuivat ajassa. "
        "Ajoituskaavio (mediaaniviiva) kertoo, muuttuiko aloitustahti pysyvästi – nopea "
        "palaute kehittämistyöpajoille.",
        "How many clients started compared with the plan, and how starts spread over time. "
        "The run chart (median line) shows whether the pace of starts changed for good – quick "
        "feedback for the development workshops."),
    "mu.reach.caption": ("Tavoitetut asiakkaat ja suunnitelma", "Clients reached and the plan"),
    "mu.reach.demo_plan": (
        "Esimerkkiaineiston suunnitelma ja asiakasmäärät ovat osin OLETUKSIA. Lähteissä on vain "
        "hankkeiden kokonaissuunnitelmat: SOSKU-hankkeen ESR-hakemuksen arvio on 550 osallistujaa "
        "koko yhteishankkeelle (S20506) ja SOS-Kainuun hankekuvauksen mukaan asiakkaita tulee "
        "noin 100. Kuntakohtainen jako (550 kahdeksalle kuntaosahankkeelle esimerkkiaineiston "
        "kokojen suhteessa) on OLETUS, samoin simuloitujen asiakkaiden määrä (oletuksena noin "
        "1 500, jotta kokeilujen ja naisten ja miesten tulokset voidaan näyttää). Toteutuneita "
        "osallistujamääriä lähteet eivät kerro. Siksi osuus suunnitelmasta ylittää 100 %; se ei "
        "kerro todellisten osahankkeiden tavoittavuudesta.",
        "The demo's plan and client numbers are partly ASSUMPTIONS. The sources give only the "
        "projects' overall plans: SOSKU's ESF application estimated 550 participants for the whole "
        "joint project (S20506), and SOS-Kainuu's project description expects about 100 clients. "
        "The split by municipality (550 over the eight municipal sub-projects in proportion to "
        "the demo's sizes) is an ASSUMPTION, and so is the number of simulated clients (about "
        "1,500 by default, so that the experiments and the results of women and men can be "
        "shown). The sources give no realised numbers of participants. So the share of plan "
        "exceeds 100 %; it says nothing about the reach of the real sub-projects."),
    "index.demo_plan": (
        "Esimerkkiaineisto: osuus suunnitelmasta vertaa simuloituja asiakkaita (määrä on OLETUS) "
        "ohjelma-asiakirjojen suunnitelmiin (SOSKU 550, SOS-Kainuu noin 100), jotka on jaettu "
        "kunnille OLETUKSEN mukaan; se ei kerro todellisten osahankkeiden tavoittavuudesta.",
        "Demo data: the share of plan compares the simulated clients (their number is an "
        "ASSUMPTION) with the plans of the programme documents (SOSKU 550, SOS-Kainuu about "
        "100), split over the municipalities by ASSUMPTION; it says nothing about the reach of "
        "the real sub-projects."),
    "mu.reach.figure": ("Uudet asiakkuudet neljänneksittäin", "New client episodes by quarter"),
    "mu.reach.signal": ("Ajoituskaavion signaalit: {signals}.", "Run-chart signals: {signals}."),
    "mu.reach.nosignal": ("Ajoituskaaviossa ei ole ei-satunnaista vaihtelua osoittavia signaaleja.",
                          "The run chart shows no signal of non-random variation."),
    "mu.clients": ("Keitä asiakkaat ovat", "Who the clients are"),
    "mu.clients.intro": (
        "Asiakkaat ikäryhmän ja sukupuolen mukaan. Alle viiden henkilön solut on peitetty.",
        "Clients by age group and gender. Cells with fewer than five people are suppressed."),
    "mu.clients.caption": ("Asiakkaat ikäryhmän ja sukupuolen mukaan", "Clients by age group and gender"),
    "mu.dose": ("Palvelun toteutus ja annos", "Service delivery and dose"),
    "mu.dose.intro": (
        "Käyntien määrä ja kesto asiakasta kohden sukupuolittain sekä käyntien jakautuminen "
        "toteutustavan mukaan. Riittävän pitkä ja intensiivinen tuki on yksi mallin "
        "vaikutusmekanismeista.",
        "Number and duration of contacts per client by gender, and contacts by mode. Long and "
        "intensive enough support is one of the model's mechanisms."),
    "mu.dose.caption": ("Annos asiakasta kohden (mediaani ja kvartiilit)", "Dose per client (median and quartiles)"),
    "mu.dose.mode_caption": ("Toteutustapojen osuus asiakkuuden käynneistä (keskiarvo ja mediaani asiakkuuksista, n = asiakkuuksia)",
                             "Share of each mode in an episode's contacts (mean and median over episodes, n = episodes)"),
    "mu.fidelity": ("Mallin ydinelementit ja 17 §:n sisällöt", "Core elements and §17 contents"),
    "mu.fidelity.intro": (
        "Kuinka suuri osa asiakkaista sai THL:n mallin neljä ydinelementtiä (kuntoutustarpeen "
        "arviointi, tavoitteellinen asiakassuunnitelma, tehostettu yksilötyö, ryhmätoiminta) "
        "sekä käyntien jakautuminen sosiaalihuoltolain 17 §:n sisältöihin.",
        "Share of clients who received each of the four core elements of THL's model "
        "(assessment of rehabilitation needs, a client plan with goals, intensive individual "
        "work, group activity), and contacts by the contents of Social Welfare Act §17."),
    "mu.fidelity.caption": ("Ydinelementit toteutuivat (% asiakkaista)", "Core elements delivered (% of clients)"),
    "mu.fidelity.content_caption": ("Asiakkuudet, joissa 17 §:n sisältö toteutui vähintään kerran (n = asiakkuuksia)",
                                    "Episodes that received each §17 content at least once (n = episodes)"),
    "mu.fidelity.elements_caption": (
        "Asiakkaat saatujen ydinelementtien määrän (0–4) ja sukupuolen mukaan (kuvion luvut)",
        "Clients by the number of core elements received (0–4) and gender (the figure's numbers)",
    ),
    "mu.fidelity.figure": (
        "Ydinelementit toteutuivat sukupuolittain (% asiakkaista). Viivoitettu osa on peitetty: "
        "siinä ovat alle {k} henkilön luokat ja luokat, joista ne voisi laskea.",
        "Core elements delivered by gender (% of clients). The hatched part is suppressed: it "
        "holds the categories of fewer than {k} people and those from which they could be "
        "computed."),
    "el.needs_assessment": ("kuntoutustarpeen arviointi", "needs assessment"),
    "el.plan_with_goals": ("tavoitteellinen asiakassuunnitelma", "client plan with goals"),
    "el.intensive_individual_work": ("tehostettu yksilötyö", "intensive individual work"),
    "el.group_activity": ("ryhmätoiminta", "group activity"),
    "el.all_four": ("kaikki neljä", "all four"),
    "mu.fidelity.rule": (
        "Määritelmät: arviointi = vähintään yksi käynti, jonka "
        "sisältö on kuntoutustarpeen arviointi; suunnitelma = vähintään {goals} kirjattu "
        "tavoite; tehostettu yksilötyö = vähintään {contacts} yksilökäyntiä ja keskimäärin "
        "vähintään {per_month} yksilökäyntiä kuukaudessa; ryhmätoiminta = vähintään yksi "
        "ryhmäkäynti. Kynnykset ovat työkalun oletuksia, eivät THL:n mallin määritelmiä.",
        "Definitions: assessment = at least one contact with "
        "needs-assessment content; plan = at least {goals} recorded goal(s); intensive "
        "individual work = at least {contacts} individual contacts and on average at least "
        "{per_month} individual contact(s) per month; group activity = at least one group "
        "contact. The thresholds are the toolkit's assumptions, not THL's definitions."),
    "mu.fidelity.index_caption": (
        "Ydinelementtien indeksi (saatujen elementtien osuus, 0–1) sukupuolittain",
        "Fidelity index (share of the four elements received, 0–1) by gender"),
    "dose.n_contacts": ("käyntejä", "contacts"),
    "dose.hours": ("tunteja", "hours"),
    "dose.weeks_in_service": ("viikkoja palvelussa", "weeks in service"),
    "dose.contacts_per_month": ("käyntejä kuukaudessa", "contacts per month"),
    "dose.share_individual": ("yksilökäyntien osuus (%)", "individual contacts (%)"),
    "dose.share_group": ("ryhmäkäyntien osuus (%)", "group contacts (%)"),
    "dose.share_outreach": ("jalkautuvien käyntien osuus (%)", "outreach contacts (%)"),
    "mu.dose.figure": ("Palvelutunnit asiakkuutta kohden sukupuolittain (laatikko 25–75 %, viikset 10–90 %)",
                       "Service hours per episode by gender (box 25–75%, whiskers 10–90%)"),
    "mu.dose.tis_caption": ("Palvelussa oloaika (Kaplan–Meier-mediaani, päivää) sukupuolittain",
                            "Time in service (Kaplan–Meier median, days) by gender"),
    "mu.dose.tis_note": (
        "Käynnissä olevat asiakkuudet on sensuroitu aineiston poimintapäivänä; puuttuva "
        "yläraja tarkoittaa, ettei luottamusväli saavuta mediaania seurannan aikana.",
        "Ongoing episodes are censored at the export date; a missing upper limit means the "
        "confidence band does not reach the median within follow-up."),
    "mu.codev.figure": ("Kehittämistapahtumat neljänneksittäin ja kokemustiedon osuus osallistujista",
                        "Development events by quarter and the lived-experience share of participants"),
    "mu.outcomes.gender_caption": ("Muutos alusta loppuun sukupuolittain",
                                   "Change from baseline to end by gender"),
    "mu.rc": ("Luotettava ja kliinisesti merkitsevä muutos", "Reliable and clinically significant change"),
    "mu.rc.intro": (
        "Kuinka suuri osa asiakkaista muuttui mittausvirhettä enemmän (Jacobson & Truax 1991) ja "
        "WHODAS-12:ssa siirtyi väestönormien mukaan toimintakykyisten puolelle. Osuudet ovat "
        "ryhmätason tietoa: THL suosittaa osallisuusindikaattorin käyttöä ryhmätasolla.",
        "Share of clients who changed more than measurement error (Jacobson & Truax 1991) and, "
        "for WHODAS-12, crossed into the functional range of the population norms. These are "
        "group-level rates: THL advises group-level use of the inclusion indicator."),
    "mu.rc.caption": ("Muutosluokkien osuudet (%, Wilsonin 95 %:n lv)",
                      "Change categories (%, Wilson 95% CI)"),
    "analysis.reliable_change": ("luotettava muutos", "reliable change"),
    "analysis.clinical_significance": ("kliinisesti merkitsevä muutos", "clinically significant change"),
    "mu.pathways.figure": ("Jatkopolut kohderyhmän mukaan (rivien osuudet)",
                           "Onward pathways by target group (row shares)"),
    "mu.spc.figure": ("Aloittaneista 26 viikon sisällä keskeyttäneiden osuus aloitusneljänneksittäin (p-kortti)",
                      "Share of starters dropping out within 26 weeks, by quarter of starting (p-chart)"),
    "mu.spc.definition": (
        "Kuvan piste on yhden neljänneksen aikana alkaneet asiakkuudet ja niistä {weeks} viikon "
        "sisällä alusta keskeytyneiden osuus. Mukana ovat vain neljännekset, joiden kaikkien "
        "asiakkuuksien {weeks} viikkoa ovat jo takana. Päättyneiden asiakkuuksien keskeyttäneiden "
        "osuutta ei käytetä: toiminnan alussa ensimmäisinä päättyvät lyhyet asiakkuudet, joista "
        "suuri osa on keskeytyksiä, joten osuus näyttäisi alussa liian suurelta.",
        "Each point is the episodes that started in one quarter and the share of them that "
        "dropped out within {weeks} weeks of starting. Only quarters whose episodes have all had "
        "their {weeks} weeks are shown. The dropout share of episodes ending in a quarter is "
        "not used: while a service starts up, the first episodes to end are the short ones, "
        "most of them dropouts, so that share would read too high at the start."),
    "mu.quality": ("Laatukriteerien itsearviointi", "Quality-criteria self-assessment"),
    "mu.quality.intro": (
        "Osahankkeen oma arvio THL:n (2018) kymmenen laatukriteerin toteutumisesta "
        "(1 = ei toteudu … 4 = toteutuu täysin) kunakin arviointivuonna. Kriteerit julkaistiin "
        "vuonna 2018, joten arvioita on vain siitä alkaen. Kriteerien sanamuoto on "
        "tarkistamaton parafraasi.",
        "The sub-project's own rating of THL's (2018) ten quality criteria (1 = not in place … "
        "4 = fully in place) in each year it was rated. The criteria were published in 2018, so "
        "there are ratings from then on only. The wording of the criteria is an unverified "
        "paraphrase."),
    "mu.quality.caption": ("Laatukriteerien itsearvio arviointivuoden mukaan",
                           "Quality-criteria self-assessment by year of rating"),
    "mu.quality.figure": ("Laatukriteeriprofiili arviointivuoden mukaan",
                          "Quality-criteria profile by year of rating"),
    "mu.codev": ("Yhteiskehittäminen", "Co-development"),
    "mu.codev.intro": (
        "Kehittämistoiminta (työpajat, verkostot, kokeilut, koulutukset) ja siihen osallistuneet "
        "roolit. Asiakkaiden ja kokemusasiantuntijoiden osallistuminen kertoo yhteiskehittämisen "
        "todellisuudesta.",
        "Development activities (workshops, networks, experiments, training) and who took part. "
        "Participation of clients and experts by experience shows how real co-development was."),
    "mu.codev.caption": ("Kehittämistoiminta ja osallistujat roolin mukaan", "Development activities and participants by role"),
    "mu.outcomes": ("Asiakkaiden muutos mittareittain", "Client change by instrument"),
    "mu.outcomes.intro": (
        "Alku- ja loppuarvioinnin muutos niillä asiakkailla, joilla on molemmat. Raportin "
        "standardoitu muutos on SMCR: keskimääräinen muutos jaettuna alkuarvioinnin "
        "keskihajonnalla (Becker 1988), sama luku kuin valtakunnallisen synteesin metsäkuviossa. "
        "Taulukossa on rinnalla d_z: muutos jaettuna muutoksen keskihajonnalla (Lakens 2013), "
        "joka kertoo muutoksen johdonmukaisuudesta asiakkaiden välillä ja on siksi yleensä eri "
        "suuruinen. Luotettava muutos Jacobsonin ja Truaxin (1991) RCI:n mukaan.",
        "Change from baseline to end among clients with both assessments. The report's "
        "standardised change is the SMCR: mean change divided by the baseline SD (Becker 1988), "
        "the same number as in the national forest plot. The table also shows d_z: change "
        "divided by the SD of change (Lakens 2013), which describes how consistent the change is "
        "across clients and therefore usually differs in size. Reliable change by Jacobson and "
        "Truax's (1991) RCI."),
    "mu.attrition": ("Ketkä jäivät ilman loppuarviointia, ja mitä se voi tarkoittaa",
                     "Who has no end assessment, and what that may mean"),
    "mu.attrition.intro": (
        "Muutos lasketaan vain asiakkaista, joilla on sekä alku- että loppuarviointi. Taulukko "
        "vertaa heitä niihin, joilta loppuarviointi puuttuu: alkutilanne, ikä, sukupuoli, "
        "kohderyhmä ja palvelun määrä. Standardoitu ero yli 0,1 (itseisarvona) on merkittävä "
        "ero ryhmien välillä (Austin 2009).",
        "Change is computed only from clients with both a baseline and an end assessment. The "
        "table compares them with those whose end assessment is missing: baseline, age, gender, "
        "target group and dose. A standardised difference above 0.1 (in absolute value) marks a "
        "meaningful imbalance (Austin 2009)."),
    "mu.attrition.caption": ("Loppuarvioinnin saaneet ja ilman jääneet (alkuarvioidut)",
                             "Completers and non-completers (clients with a baseline)"),
    "mu.sensitivity.caption": (
        "Kaikkien aloittaneiden muutos (SMCR, 95 %:n lv): täydelliset parit, "
        "käänteistodennäköisyyspainotus (IPW) ja moni-imputointi (MI, puuttuvuus satunnaista "
        "taustatietojen ehdolla) sekä käännepisteet",
        "Change of all starters (SMCR, 95% CI): complete pairs, inverse probability weighting "
        "(IPW) and multiple imputation (MI, missing at random given baseline characteristics), "
        "with the tipping points"),
    "mu.sensitivity.note": (
        "IPW ja MI korjaavat vain sen osan valikoitumisesta, jonka alkutilanne, ikä ja sukupuoli "
        "selittävät. Käännepiste δ kertoo, kuinka paljon huonommat loppupisteet (alkutason "
        "keskihajontoina) keskeyttäneillä olisi pitänyt olla kuin samanlaisilla loppuun asti "
        "jatkaneilla, jotta muutos häviäisi (estimaatti 0) tai ei enää olisi tilastollisesti "
        "selvä (lv:n alaraja 0). Tyhjä = muutos ei häviä tarkastellulla välillä (δ ≥ −1).",
        "IPW and MI correct only the part of the selection that baseline score, age and gender "
        "explain. The tipping point δ is how much worse (in baseline SDs) non-completers' end "
        "scores would have had to be than those of similar completers for the change to vanish "
        "(estimate 0) or to stop being statistically clear (lower CI limit 0). Empty = the "
        "change does not vanish on the range examined (δ ≥ −1)."),
    "mu.tipping.figure": ("Käännepisteanalyysi: kaikkien aloittaneiden muutos, kun keskeyttäneiden "
                          "oletetaan pärjänneen yhä huonommin (delta-korjattu moni-imputointi)",
                          "Tipping-point analysis: change of all starters as non-completers are "
                          "assumed to have fared ever worse (delta-adjusted multiple imputation)"),
    "mu.rtm": ("Regressio keskiarvoon", "Regression to the mean"),
    "mu.rtm.intro": (
        "Jos palveluun tullaan huonoimmalla hetkellä, seuraava mittaus on keskimäärin parempi "
        "ilman palveluakin. Merkkejä siitä: huonoimmasta alkutilanteesta lähteneet paranevat "
        "eniten, ja muutoksen ja alkutason välinen kulmakerroin on negatiivinen. Korjattu "
        "muutos vähentää raakamuutoksesta odotetun keskiarvoon palautumisen (1 − ρ)(μ − alkutason "
        "ka), jossa ρ on mittarin julkaistu reliabiliteetti (α) ja μ väestön keskiarvo. "
        "Oletus, jota aineisto ei voi todentaa: μ on julkaistu väestönormi (vain WHODAS-12:lle "
        "on sellainen; se antaa korjauksen ylärajan), muille mittareille korjausta ei lasketa.",
        "If people enter the service at their worst moment, the next measurement tends to be "
        "better even without it. Signs of this: those who started worst improve most, and the "
        "slope of change on baseline is negative. The adjusted change subtracts the expected "
        "return to the mean (1 − ρ)(μ − baseline mean), with ρ the instrument's published "
        "reliability (α) and μ the population mean. An assumption the data cannot verify: μ is a "
        "published population norm (only WHODAS-12 has one; it gives an upper bound of the "
        "correction); for the other instruments no correction is computed."),
    "mu.rtm.caption": ("Raakamuutos ja keskiarvoon palautumisella korjattu muutos",
                       "Raw change and change adjusted for regression to the mean"),
    "mu.rtm.tertile_caption": ("Muutos alkutason kolmanneksittain (1 = heikoin alkutilanne; suunnattu muutos, 95 %:n lv)",
                               "Change by baseline tertile (1 = worst start; oriented change, 95% CI)"),
    "mu.rtm.slope_caption": ("Muutoksen regressio keskistetylle alkutasolle (kulmakerroin < 0: huonoimmin aloittaneet paranevat eniten)",
                             "Change regressed on the centred baseline (slope < 0: those who start worst improve most)"),
    "attr.var.baseline": ("alkutaso (mittarin pisteet)", "baseline (instrument score)"),
    "attr.var.age": ("ikä (v)", "age (years)"),
    "attr.var.hours": ("palvelutunnit", "service hours"),
    "attr.var.gender": ("naisia (%)", "women (%)"),
    "attr.var.target_group": ("kohderyhmä (%)", "target group (%)"),
    "col.variable": ("muuttuja", "variable"),
    "col.n_completers": ("n, loppuarvioidut", "n, completers"),
    "col.n_non_completers": ("n, ilman loppuarviointia", "n, non-completers"),
    "col.completers": ("loppuarvioidut: ka tai %", "completers: mean or %"),
    "col.non_completers": ("ilman loppuarviointia: ka tai %", "non-completers: mean or %"),
    "col.smd": ("standardoitu ero", "standardised difference"),
    "col.n_starters": ("aloittaneita (alkuarvioituja)", "starters (with baseline)"),
    "col.cc": ("täydelliset parit", "complete pairs"),
    "col.cc_ci_low": ("lv ala", "CI lower"),
    "col.cc_ci_high": ("lv ylä", "CI upper"),
    "col.ipw": ("IPW", "IPW"),
    "col.ipw_ci_low": ("IPW lv ala", "IPW CI lower"),
    "col.ipw_ci_high": ("IPW lv ylä", "IPW CI upper"),
    "col.mi": ("MI (δ = 0)", "MI (δ = 0)"),
    "col.mi_ci_low": ("MI lv ala", "MI CI lower"),
    "col.mi_ci_high": ("MI lv ylä", "MI CI upper"),
    "col.tip_estimate": ("käännepiste δ (muutos 0)", "tipping δ (change 0)"),
    "col.tip_ci": ("käännepiste δ (lv:n alaraja 0)", "tipping δ (lower CI 0)"),
    "col.baseline_group": ("alkutason kolmannes", "baseline tertile"),
    "col.mean_pre_group": ("alkutason ka", "baseline mean"),
    "col.intercept": ("muutos alkutason keskiarvossa", "change at mean baseline"),
    "col.slope_ci_low": ("kulmakerroin, lv ala", "slope, CI lower"),
    "col.slope_ci_high": ("kulmakerroin, lv ylä", "slope, CI upper"),
    "col.slope_pval": ("p", "p"),
    "col.reliability": ("reliabiliteetti ρ", "reliability ρ"),
    "col.population_mean": ("väestön ka μ (oletus)", "population mean μ (assumed)"),
    "col.rtm_change": ("odotettu palautuminen", "expected regression"),
    "col.adjusted_change": ("korjattu muutos, ka", "adjusted change, mean"),
    "col.adjusted_smcr": ("korjattu SMCR", "adjusted SMCR"),
    "col.n_pairs": ("pareja", "pairs"),
    "na.attrition": ("Puuttuvat loppuarvioinnit ja herkkyysanalyysit", "Missing end assessments and sensitivity analyses"),
    "na.attrition.intro": (
        "Puolelta alkuarvioiduista puuttuu loppuarviointi. Synteesin kysymys koskee kaikkia "
        "aloittaneita; täydelliset parit kertovat vain loppuun asti arvioiduista. Alla "
        "loppuarvioitujen ja ilman jääneiden vertailu kaikista kunnista, kuntakohtaiset "
        "IPW- ja MI-estimaatit yhdistettyinä samalla satunnaisvaikutusmallilla (Knapp–Hartung) "
        "sekä käännepisteanalyysi.",
        "Half of the clients with a baseline have no end assessment. The synthesis asks about "
        "all starters; complete pairs speak only for those assessed at the end. Below: "
        "completers vs non-completers across all municipalities, the municipal IPW and MI "
        "estimates pooled with the same random-effects model (Knapp–Hartung), and the "
        "tipping-point analysis."),
    "na.attrition.caption": ("Loppuarvioidut ja ilman jääneet, kaikki kunnat", "Completers and non-completers, all municipalities"),
    "na.sensitivity.caption": (
        "Yhdistetty kaikkien aloittaneiden muutos (SMCR, REML, Knapp–Hartung, 95 %:n lv): "
        "täydelliset parit, IPW ja MI sekä käännepisteet",
        "Pooled change of all starters (SMCR, REML, Knapp–Hartung, 95% CI): complete pairs, IPW "
        "and MI, with the tipping points"),
    "na.tipping.figure": ("Käännepisteanalyysi, yhdistetty: kaikkien aloittaneiden muutos, kun "
                          "keskeyttäneiden oletetaan pärjänneen yhä huonommin",
                          "Tipping-point analysis, pooled: change of all starters as "
                          "non-completers are assumed to have fared ever worse"),
    "na.truth_attrition.caption": (
        "Demo: kaikkien aloittaneiden ja loppuun asti arvioitujen todellinen muutos sekä "
        "estimaatit (Knapp–Hartung)",
        "Demo: the true change of all starters and of completers, and the estimates "
        "(Knapp–Hartung)"),
    "mu.truth_attrition.caption": (
        "Demo: kunnan kaikkien aloittaneiden ja loppuun asti arvioitujen todellinen muutos "
        "sekä estimaatit",
        "Demo: the municipality's true change of all starters and of completers, and the "
        "estimates"),
    "truth_attrition.note": (
        "Harha = estimaatti − aloittaneiden todellinen muutos; harha, loppuarvioidut = "
        "estimaatti − loppuarvioitujen todellinen muutos. Korjattu osuus = kuinka suuren osan "
        "täydellisten parien harhasta IPW tai MI poistaa (1 = kaiken, 0 = ei mitään, "
        "negatiivinen = harha kasvaa; tyhjä, kun täydelliset parit osuvat 0,02:n päähän). Demossa keskeyttäminen riippuu myös asiakkaan "
        "havaitsemattomasta alkuvaiheen edistymisestä, jota alkutilanteeseen perustuvat "
        "korjaukset eivät voi poistaa.",
        "Bias = estimate − the starters' true change; bias, completers = estimate − the "
        "completers' true change. Recovered = the share of the complete-pairs bias that IPW or "
        "MI removes (1 = all of it, 0 = none, negative = the bias grows; empty when complete "
        "pairs are within 0.02). In the demo dropping "
        "out also depends on the client's unobserved early progress, which corrections based on "
        "baseline data cannot remove."),
    "col.covers_starters": ("lv peittää aloittaneiden tosi muutoksen",
                            "CI covers the starters' true change"),
    "col.bias_completers": ("harha, loppuarvioidut", "bias, completers"),
    "col.recovered": ("korjattu osuus harhasta", "share of bias recovered"),
    "col.mu_starters": ("tosi muutos, aloittaneet", "true change, starters"),
    "col.mu_completers": ("tosi muutos, loppuarvioidut", "true change, completers"),
    "col.method": ("menetelmä", "method"),
    "estimator.cc": ("täydelliset parit", "complete pairs"),
    "estimator.ipw": ("IPW", "IPW"),
    "estimator.mi": ("MI (δ = 0)", "MI (δ = 0)"),
    "outcome.design_note": (
        "Mitä alku–loppu-vertailu voi ja ei voi kertoa: luvut kuvaavat muutosta palvelun aikana, "
        "eivät palvelun vaikutusta, koska vertailuryhmää ei ole. Osa muutoksesta voi syntyä "
        "ilman palveluakin: asiakkaat tulevat usein palveluun tilanteensa ollessa huonoimmillaan, "
        "jolloin seuraava mittaus on keskimäärin parempi (regressio keskiarvoon), ja moni tilanne "
        "kohenee ajan myötä itsestään. Lisäksi luvut koskevat vain niitä, joilla on molemmat "
        "arvioinnit; jos keskeyttäneillä meni huonommin, todellinen muutos kaikilla aloittaneilla "
        "on pienempi. Alla olevat herkkyysanalyysit arvioivat näiden tekijöiden suuruutta.",
        "What a before–after comparison can and cannot show: the numbers describe change during "
        "the service, not the service's effect, because there is no comparison group. Part of the "
        "change can happen without the service: clients often enter when things are at their "
        "worst, so the next measurement tends to be better anyway (regression to the mean), and "
        "many situations improve with time (natural recovery). The numbers also cover only "
        "clients with both assessments; if those who dropped out fared worse, the change among "
        "all who started is smaller. The sensitivity analyses below estimate how large these "
        "factors may be."),
    "mu.outcomes.caption": ("Muutos alusta loppuun mittareittain (suunnattu muutos: positiivinen = parannus)",
                            "Change from baseline to end by instrument (oriented change: positive = improvement)"),
    "mu.outcomes.rc_caption": ("{name}: luotettava muutos sukupuolittain", "{name}: reliable change by gender"),
    "mu.outcomes.figure": ("Standardoitu muutos SMCR (muutos / alkutason kh, 95 %:n lv) mittareittain ja sukupuolittain; positiivinen = parannus",
                           "Standardised change SMCR (change / baseline SD, 95% CI) by instrument and gender; positive = improvement"),
    "mu.outcomes.dist_figure": ("Pistemäärien jakaumat alku- ja loppuarvioinnissa (molemmat arvioinnit tehneet)",
                                "Distributions of scores at baseline and end (clients with both)"),
    "mu.outcomes.none": ("Mittaria {name} ei käytetty tässä osahankkeessa.", "{name} was not used in this sub-project."),
    "mu.traffic": ("3X10D-liikennevaloprofiili", "3X10D traffic-light profile"),
    "mu.traffic.intro": (
        "3X10D on muodostava mittari ilman kokonaispistemäärää: elämänalueittainen profiili "
        "punainen (0–5), keltainen (6–7), vihreä (8–10) alku- ja loppuarvioinnissa.",
        "3X10D is a formative meter without a total: the profile by life area in red (0–5), "
        "yellow (6–7) and green (8–10) at baseline and end."),
    "mu.traffic.figure": ("3X10D-liikennevalot elämänalueittain: {occasion}", "3X10D traffic lights by life area: {occasion}"),
    "mu.traffic.caption": ("3X10D: vastausten osuudet liikennevaloittain elämänalueittain (%)",
                           "3X10D: share of answers by traffic light and life area (%)"),
    "mu.gas": ("Tavoitteiden saavuttaminen (GAS)", "Goal attainment (GAS)"),
    "mu.gas.intro": (
        "Asiakassuunnitelman tavoitteiden saavuttaminen Goal Attainment Scaling -menetelmällä: "
        "T-luku 50 tarkoittaa, että tavoitteet saavutettiin odotetusti (Kiresuk & Sherman 1968, ρ = 0,3).",
        "Attainment of client-plan goals with Goal Attainment Scaling: a T-score of 50 means the "
        "goals were reached as expected (Kiresuk & Sherman 1968, ρ = 0.3)."),
    "mu.gas.caption": ("GAS-T-luvut sukupuolittain (ka, 95 %:n lv)", "GAS T-scores by gender (mean, 95% CI)"),
    "mu.gas.area_caption": ("Tavoitteiden saavuttaminen elämänalueittain", "Goal attainment by life area"),
    "mu.pathways": ("Jatkopolut", "Onward pathways"),
    "mu.pathways.intro": (
        "Mihin päättyneet asiakkuudet johtivat: kuvio kohderyhmittäin, taulukko sukupuolittain. "
        "Sosiaalisen kuntoutuksen tavoite on osallisuus; työ ja koulutus ovat vain osa hyvistä "
        "jatkopoluista.",
        "Where ended episodes led: the figure by target group, the table by gender. Social "
        "rehabilitation aims at inclusion; work and education are only part of the good pathways."),
    "mu.pathways.caption": ("Jatkopolut sukupuolittain", "Onward pathways by gender"),
    "mu.retention.caption": ("Asiakkuuden päättymisen syy", "Reason the episode ended"),
    "mu.meaning": ("Mitä tämä tarkoittaa kehittämiselle", "What this means for development"),
    "mu.meaning.intro": (
        "Automaattisesti tuotettu yhteenveto luvuista epävarmuuksineen. Sanamuodot noudattavat "
        "kiinteitä sääntöjä (ne on kuvattu työkalun ohjeissa); ne ovat keskustelun avaus, "
        "eivät arvio.",
        "A summary generated from the numbers with their uncertainty. The wording follows fixed "
        "rules (described in the toolkit's documentation); it opens a discussion and is not a "
        "verdict."),
    "col.target_group": ("kohderyhmä", "target group"),
    "col.gender": ("sukupuoli", "gender"),
    "col.age_group": ("ikäryhmä", "age group"),
    "col.pathway": ("jatkopolku", "pathway"),
    "col.end_reason": ("päättymisen syy", "end reason"),
    "col.mode": ("toteutustapa", "mode"),
    "col.content": ("sisältö (17 §)", "content (§17)"),
    "col.contacts": ("käyntejä", "contacts"),
    "col.n_clients_dose": ("asiakkaita", "clients"),
    "col.contacts_median": ("käyntejä, mediaani", "contacts, median"),
    "col.contacts_q1": ("käyntejä, Q1", "contacts, Q1"),
    "col.contacts_q3": ("käyntejä, Q3", "contacts, Q3"),
    "col.hours_median": ("tunteja, mediaani", "hours, median"),
    "col.weeks_median": ("kesto viikkoina, mediaani", "duration in weeks, median"),
    "col.n_pre": ("alkuarvioituja", "with baseline"),
    "col.mean_pre": ("ka alussa", "mean, baseline"),
    "col.mean_post": ("ka lopussa", "mean, end"),
    "col.mean_change": ("muutos, ka", "mean change"),
    "col.d_z": ("d_z", "d_z"),
    "col.d_z_ci_low": ("d_z alaraja", "d_z lower"),
    "col.d_z_ci_high": ("d_z yläraja", "d_z upper"),
    "col.category": ("luokka", "category"),
    "col.n_total": ("yhteensä", "total"),
    "col.ci_low": ("lv alaraja", "CI lower"),
    "col.ci_high": ("lv yläraja", "CI upper"),
    "col.year": ("vuosi", "year"),
    "col.criterion": ("kriteeri", "criterion"),
    "col.rating": ("arvio (1–4)", "rating (1–4)"),
    "col.activity_type": ("toiminnan tyyppi", "activity type"),
    "col.activities": ("tapahtumia", "events"),
    "col.life_area": ("elämänalue", "life area"),
    "col.item": ("osio", "item"),
    "col.red": ("punainen", "red"),
    "col.yellow": ("keltainen", "yellow"),
    "col.green": ("vihreä", "green"),
    "col.tscore_mean": ("T-luku, ka", "T-score, mean"),
    "col.tscore_sd": ("T-luku, kh", "T-score, SD"),
    "col.n_goals": ("tavoitteita", "goals"),
    "col.n_rated": ("arvioituja", "rated"),
    "col.mean_attainment": ("saavutus, ka", "attainment, mean"),
    "col.mean_gain": ("muutos lähtötasosta, ka", "gain from baseline, mean"),
    "col.element": ("ydinelementti", "core element"),
    "col.n_enrolled": ("asiakkuuksia", "episodes"),
    "col.share_of_plan": ("suunnitelmasta (%)", "of plan (%)"),
    "col.n_entries": ("uusia asiakkuuksia", "new episodes"),
    "col.quarter": ("neljännes", "quarter"),
    "col.measure": ("tunnusluku", "indicator"),
    "col.q1": ("Q1", "Q1"),
    "col.median": ("mediaani", "median"),
    "col.q3": ("Q3", "Q3"),
    "col.n_with": ("saaneita", "received"),
    "col.index": ("indeksi", "index"),
    "col.n_ended": ("päättyneitä", "ended"),
    "col.n_censored": ("käynnissä", "ongoing"),
    "col.median_days": ("mediaani (pv)", "median (days)"),
    "col.median_ci_low": ("lv alaraja (pv)", "CI lower (days)"),
    "col.median_ci_high": ("lv yläraja (pv)", "CI upper (days)"),
    "col.criterion_label": ("kriteeri", "criterion"),
    "col.from_year": ("alkuvuosi", "from year"),
    "col.to_year": ("loppuvuosi", "to year"),
    "col.rating_from": ("arvio alussa", "rating, first"),
    "col.rating_to": ("arvio lopussa", "rating, last"),
    "col.change": ("muutos", "change"),
    "col.n_events": ("tapahtumia", "events"),
    "col.n_managers": ("johto", "managers"),
    "col.n_workers": ("työntekijät", "workers"),
    "col.n_clients": ("asiakkaat", "clients"),
    "col.n_experts_by_experience": ("kokemusasiantuntijat", "experts by experience"),
    "col.n_developer_clients": ("kehittäjäasiakkaat", "developer clients"),
    "col.n_peer_instructors": ("vertaisohjaajat", "peer instructors"),
    "col.n_client_panel": ("asiakasraadin jäsenet", "client panel members"),
    "col.n_elements": ("ydinelementtejä (0–4)", "core elements received (0–4)"),
    "col.n_third_sector": ("järjestöt", "third sector"),
    "col.n_participants": ("osallistujia yhteensä", "participants, total"),
    "col.effect": ("muutos d_z (suunnattu)", "change d_z (oriented)"),
    "col.effect_ci_low": ("d_z lv alaraja", "d_z CI lower"),
    "col.effect_ci_high": ("d_z lv yläraja", "d_z CI upper"),
    "col.smcr": ("muutos SMCR (suunnattu)", "change SMCR (oriented)"),
    "col.smcr_ci_low": ("SMCR lv alaraja", "SMCR CI lower"),
    "col.smcr_ci_high": ("SMCR lv yläraja", "SMCR CI upper"),
    "col.analysis": ("analyysi", "analysis"),
    "col.share_at_or_above_50": ("T ≥ 50 (%)", "T ≥ 50 (%)"),
    "col.end_reason_share": ("osuus (%)", "share (%)"),
    "cat.improved": ("parani", "improved"),
    "cat.unchanged": ("ei muutosta", "unchanged"),
    "cat.deteriorated": ("heikkeni", "deteriorated"),
    "cat.recovered": ("toipui", "recovered"),
    # --- 20 national synthesis ---------------------------------------------------------------
    "na.coverage": ("Kattavuus kunnittain", "Coverage across municipalities"),
    "na.coverage.intro": (
        "Asiakkaat, suunnitelma ja käytetyt mittarit osahankkeittain: mikä osa synteesistä "
        "perustuu millekin kunnalle.",
        "Clients, plan and instruments per sub-project: which municipalities each part of the "
        "synthesis rests on."),
    "na.coverage.caption": ("Asiakkaat ja mittarit osahankkeittain", "Clients and instruments per sub-project"),
    "na.meta": ("Meta-analyysi mittareittain", "Meta-analysis per instrument"),
    "na.meta.intro": (
        "Kunnat ovat meta-analyysin ”tutkimuksia”: kunkin kunnan standardoitu keskimuutos "
        "(SMCR, Becker 1988) yhdistetään satunnaisvaikutusmallilla (REML). "
        "Ennusteväli kertoo, mihin uuden kunnan muutos todennäköisesti osuu; I² ja τ² "
        "kuvaavat kuntien välistä vaihtelua. Positiivinen = parannus. Raporttien yksi "
        "standardoitu muutos on SMCR = muutos / alkuarvioinnin keskihajonta: sama luku kuin "
        "kuntasivujen otsikoissa, eikä se riipu alku- ja loppumittauksen korrelaatiosta, joten "
        "kunnat ja mittarit ovat vertailukelpoisia. Kuntasivujen d_z (muutos / muutoksen "
        "keskihajonta) on eri suure ja yleensä suurempi.",
        "Municipalities are the meta-analysis' studies: each municipality's standardised mean "
        "change (SMCR, Becker 1988) is pooled with a random-effects model (REML). The "
        "prediction interval shows where a new municipality's change is likely to fall; I² and "
        "τ² describe between-municipality variation. Positive = improvement. The reports' one "
        "standardised change is the SMCR = change / baseline SD: the same number as in the "
        "municipality pages' headlines, and independent of the baseline–end correlation, so "
        "municipalities and instruments are comparable. The d_z on municipality pages (change / "
        "SD of change) is a different quantity and usually larger."),
    "na.meta.caption": ("Yhdistetty standardoitu muutos (SMCR, REML) mittareittain",
                        "Pooled standardised change (SMCR, REML) by instrument"),
    "na.meta.forest_axis": ("standardoitu muutos SMCR (muutos / alkutason kh; positiivinen = parannus)",
                            "standardised change SMCR (change / baseline SD; positive = improvement)"),
    "na.meta.forest": ("{name}: metsäkuvio kunnittain", "{name}: forest plot by municipality"),
    "na.truth": ("Yhdistetyt estimaatit ja tunnettu totuus (demo)", "Pooled estimates against the known truth (demo)"),
    "na.truth.intro": (
        "Synteettisen aineiston todelliset muutokset tunnetaan (truth.json). Menetelmä toimii, "
        "jos luottamusvälit peittävät todellisen keskimuutoksen μ.",
        "The true changes of the synthetic data are known (truth.json). The method works if "
        "the confidence intervals cover the true mean change μ."),
    "na.truth.caption": ("Yhdistetty estimaatti ja todellinen μ", "Pooled estimate and true μ"),
    "na.subgroup": ("Alaryhmäanalyysit", "Subgroup analyses"),
    "na.subgroup.intro": (
        "Muutos sukupuolittain ja kohderyhmittäin: kunta × ryhmä -estimaatit yhdistetään "
        "alaryhmittäin, ja ryhmien välinen Q-testi testaa eroa. Pieni p-arvo yksinään ei todista "
        "eroa, kun vertailuja on monta.",
        "Change by gender and by target group: municipality × group estimates pooled per "
        "subgroup, and the between-group Q test tests the difference. A small p-value alone "
        "proves little when many comparisons are made."),
    "na.subgroup.caption": ("{name}: muutos sukupuolittain", "{name}: change by gender"),
    "na.metareg": ("Meta-regressio: annos ja ydinelementit", "Meta-regression on dose and fidelity"),
    "na.metareg.intro": (
        "Selittääkö kunnan ydinelementtien indeksi tai keskimääräinen palvelun määrä (tunteja "
        "asiakkuutta kohden) kuntien muutosten eroja? Yksi selittäjä kerrallaan, Knapp–Hartung-testi. "
        "Kuntatason yhteys ei kerro yksilötason syy-seurauksesta (ekologinen virhepäätelmä).",
        "Do the municipality's fidelity index or mean service hours per episode explain "
        "differences in change between municipalities? One moderator at a time, Knapp–Hartung test. A "
        "municipality-level association says nothing causal about individuals (ecological "
        "fallacy)."),
    "na.metareg.caption": ("Meta-regression kulmakertoimet (yksi selittäjä kerrallaan)",
                           "Meta-regression slopes (one moderator at a time)"),
    "na.mixed": ("Sekamallin ristiintarkistus", "Mixed-model cross-check"),
    "na.mixed.intro": (
        "Sama kysymys asiakastasolla: muutospisteiden lineaarinen sekamalli, jossa sukupuoli "
        "kiinteänä ja kunta satunnaisena vaikutuksena (REML, tarkistettu lme4:ää vasten). "
        "Standardoitu muutos on vertailukelpoinen yhdistetyn SMCR:n kanssa.",
        "The same question at client level: a linear mixed model of change scores with gender "
        "fixed and municipality random (REML, checked against lme4). The standardised change is "
        "comparable with the pooled SMCR."),
    "na.mixed.caption": ("Muutos sukupuolittain sekamallista (95 %:n lv)",
                         "Change by gender from the mixed model (95% CI)"),
    "na.mixed_long.caption": (
        "Muutos alkuarvioinnista sukupuolittain: pitkä sekamalli pistemäärä ~ mittauskerta × "
        "sukupuoli, satunnaiset vakiot asiakkaalle kunnan sisällä (REML, 95 %:n lv)",
        "Change from baseline by gender: long mixed model score ~ occasion × gender, random "
        "intercepts for client within municipality (REML, 95% CI)"),
    "na.mixed_long.note": (
        "Pistemäärät mittarin omalla asteikolla ilman suuntausta (WHODAS: lasku = parannus). "
        "Malli käyttää myös asiakkaita, joilla on vain alkuarviointi. Solut, joissa alle 5 "
        "asiakasta on arvioitu sekä alussa että kyseisellä kerralla, on jätetty pois. Asiakasmääriä "
        "ei julkaista: koko maan naisten tai miesten määrä vähennettynä kuntasivujen määrillä "
        "antaisi takaisin kunnan sivulla piilotetun pienen ryhmän.",
        "Scores on the instrument's own scale, not oriented (WHODAS: a decrease is an "
        "improvement). The model also uses clients with a baseline only. Cells with fewer than 5 "
        "clients assessed at both baseline and that occasion are left out. The numbers of "
        "clients are not published: the national count of women or men less the municipality "
        "pages' counts would give back a small group a municipality page hides."),
    "na.loo": ("Herkkyysanalyysi: yksi kunta kerrallaan pois", "Sensitivity: leave one municipality out"),
    "na.loo.intro": (
        "Jos yhdistetty muutos muuttuu paljon, kun yksi kunta jätetään pois, tulos nojaa "
        "siihen kuntaan.",
        "If the pooled change moves a lot when one municipality is left out, the result rests on "
        "that municipality."),
    "na.loo.caption": ("Yhdistetty standardoitu muutos (SMCR, REML) ilman kutakin kuntaa; siirtymä = ero kaikkien kuntien estimaattiin",
                       "Pooled standardised change (SMCR, REML) without each municipality; shift = difference from the all-municipality estimate"),
    "na.het": ("Kuntien välisen vaihtelun epävarmuus", "How uncertain the between-municipality variation is"),
    "na.het.intro": (
        "Kun kuntia on vain 6–9, kuntien välisen vaihtelun (τ²) estimaatti on hyvin epävarma. "
        "Q-profiilimenetelmän luottamusväli (Viechtbauer 2007) kertoo, kuinka epävarma: laaja väli "
        "tarkoittaa, ettei aineisto pysty erottamaan kaikissa kunnissa samanlaista muutosta suuresta "
        "kuntien välisestä vaihtelusta.",
        "With only 6–9 municipalities the estimate of the between-municipality variance (τ²) is very "
        "uncertain. The Q-profile confidence interval (Viechtbauer 2007) states how uncertain: a wide "
        "interval means the data cannot tell a change common to all municipalities from large "
        "differences between them."),
    "na.het.caption": ("Kuntien välinen vaihtelu (τ², REML) ja I² 95 %:n luottamusväleineen (Q-profiili)",
                       "Between-municipality variance (τ², REML) and I² with 95% confidence intervals (Q-profile)"),
    "na.infl": ("Kunnat, joihin tulos nojaa", "Municipalities the result rests on"),
    "na.infl.intro": (
        "Kuinka paljon kukin kunta siirtää yhdistettyä tulosta (vaikutusdiagnostiikka, Viechtbauer & Cheung 2010): ulkoisesti "
        "standardoitu residuaali, DFFITS, Cookin etäisyys, vipuarvo ja τ² ilman kuntaa. Merkitty kunta "
        "ylittää jonkin diagnostiikan tavanomaisista raja-arvoista: tulos nojaa siihen tavallista enemmän. Se ei tarkoita, "
        "että kunnan tulos olisi virheellinen.",
        "Each municipality's influence on the pooled result (influence diagnostics, Viechtbauer & Cheung 2010): "
        "externally standardised residual, DFFITS, Cook's distance, hat value and τ² without the "
        "municipality. A flagged municipality exceeds one of the usual cut-offs: the result rests on it "
        "more than on the others. It does not mean that the municipality's result is wrong."),
    "na.infl.caption": ("Herkkyysdiagnostiikka kunnittain (SMCR, REML)", "Influence diagnostics by municipality (SMCR, REML)"),
    "na.comb": ("Yksi muutos kaikista mittareista", "One change over all instruments"),
    "na.comb.intro": (
        "Saman kunnan mittarit on mitattu samoilta asiakkailta, joten niiden tulokset korreloivat. "
        "Kaikkien mittareiden yhteinen muutos (SMCR) lasketaan monimuuttujamallilla, jossa kunnalla on "
        "satunnaisvaikutus ja saman kunnan mittareiden otosvirheet korreloivat oletetusti (ρ). ρ on "
        "oletus, jota aineisto ei pysty arvioimaan; siksi tulos esitetään kolmella arvolla. "
        "Luottamusväli on klusterivakioitu (CR2, Satterthwaiten vapausasteet), joten se pätee, "
        "vaikka oletettu ρ olisi väärä.",
        "The instruments of a municipality were measured on the same clients, so their results are "
        "correlated. One change over all instruments (SMCR) comes from a multivariate model with a "
        "municipality random effect and the instruments' sampling errors correlated ρ within a "
        "municipality. ρ is an assumption the data cannot estimate, so the result is shown for three "
        "values. The confidence interval is cluster-robust (CR2, Satterthwaite df), so it holds even "
        "if the assumed ρ is wrong."),
    "na.comb.caption": ("Kaikkien mittareiden yhteinen muutos (SMCR) oletetun korrelaation ρ mukaan",
                        "Change over all instruments (SMCR) by the assumed correlation ρ"),
    "na.cumul": ("Tulos sitä mukaa kuin kuntia tuli mukaan", "The result as municipalities joined"),
    "na.cumul.intro": (
        "Kumulatiivinen meta-analyysi: yhdistetty muutos kuntien aloitusjärjestyksessä (kunnan "
        "ensimmäisen asiakkuuden alkupäivä), jokainen rivi kaikista siihen mennessä mukana olleista "
        "kunnista. Kuvasta näkyy, milloin tulos vakiintui ja muuttiko myöhemmin mukaan tullut kunta "
        "kuvaa.",
        "Cumulative meta-analysis: the pooled change in the order municipalities started (the start "
        "date of each municipality's first client), each row from all municipalities that had joined "
        "by then. It shows when the result settled and whether a municipality that joined later "
        "changed the picture."),
    "na.cumul.figure": ("{name}: kumulatiivinen metsäkuvio kuntien aloitusjärjestyksessä",
                        "{name}: cumulative forest plot in the order municipalities started"),
    "na.mech.note": ("Kertoimet ovat mittarin pääasteikon pisteinä (ESIS 0–100, WHODAS summa, 3X10D 0–10, EQ VAS 0–100).",
                     "Coefficients are in points of the instrument's headline scale (ESIS 0–100, WHODAS sum, 3X10D 0–10, EQ VAS 0–100)."),
    "na.pathways": ("Jatkopolut valtakunnallisesti", "Pathways nationally"),
    "na.pathways.intro": ("Päättyneiden asiakkuuksien jatkopolut kohderyhmittäin ja kunnittain.",
                          "Onward pathways of ended episodes by target group and by municipality."),
    "na.pathways.caption": ("Jatkopolut kunnittain", "Pathways by municipality"),
    "na.meta.forest_study": ("Kunta", "Municipality"),
    "na.metareg.small_k": (
        "Varoitus: meta-regressiot perustuvat enintään {k} kuntaan tai kuntayhtymään. Näin "
        "pienellä määrällä "
        "selitysaste R² on hyvin epävakaa (se voi olla 100 % sattumalta) ja yksittäinen kunta voi "
        "ratkaista kulmakertoimen; tulokset ovat suuntaa antavia eivätkä todista yhteyttä.",
        "Warning: the meta-regressions rest on at most {k} municipalities. With so few, R² is "
        "very unstable (it can reach 100 % by chance) and a single municipality can decide the "
        "slope; read the results as hints, not as evidence of an association."),
    "na.quality": ("Laatukriteerien vertailu", "Quality criteria compared"),
    "na.quality.intro": ("Viimeisimmän vuoden itsearviot kunnittain (1–4) ja muutos ensimmäisestä arviosta.",
                         "Latest year's self-assessments by municipality (1–4) and the change since the first one."),
    "na.quality.caption": ("Laatukriteerien arvion muutos ensimmäisestä viimeiseen vuoteen",
                           "Change in each criterion's rating from the first to the last year"),
    "na.truth.figure": ("Yhdistetyt estimaatit (z, 95 %:n lv) ja generaattorin todellinen μ",
                        "Pooled estimates (z, 95% CI) and the generator's true μ"),
    "na.subgroup.caption.gender": ("Yhdistetty standardoitu muutos (SMCR) sukupuolittain",
                                   "Pooled standardised change (SMCR) by gender"),
    "na.subgroup.caption.target_group": ("Yhdistetty standardoitu muutos (SMCR) kohderyhmittäin",
                                         "Pooled standardised change (SMCR) by target group"),
    "na.metareg.mods_caption": ("Kuntatason prosessin tunnusluvut: ydinelementtien indeksi ja annos",
                                "Municipality-level process indicators: fidelity index and dose"),
    "moderator.fidelity_index": ("ydinelementtien indeksi (0–1)", "fidelity index (0–1)"),
    "moderator.mean_hours": ("palvelutunteja asiakkuutta kohden", "service hours per episode"),
    "na.mixed.note": (
        "Muutos = loppu − alku suunnattuna (positiivinen = parannus), asiakkaat joilla molemmat "
        "arvioinnit; std = muutos / alkuarvioinnin keskihajonta, vertailukelpoinen SMCR:n kanssa. "
        "Naisten ja miesten lukumääriä ei julkaista: koko maan määrä vähennettynä kuntasivujen "
        "määrillä antaisi takaisin kunnan sivulla piilotetun pienen ryhmän.",
        "Change = end − baseline, oriented (positive = improvement), clients with both "
        "assessments; std = change / SD at baseline, comparable with the SMCR. The numbers of "
        "women and men are not published: the national count less the municipality pages' "
        "counts would give back a small group a municipality page hides."),
    "na.mech": ("Mekanismit: ydinelementtien ja annoksen yhteys muutokseen",
                "Mechanisms: association of core elements and dose with change"),
    "na.mech.intro": (
        "Onko muutos suurempi asiakkailla, jotka saivat ydinelementin tai enemmän palvelua? "
        "Lineaarinen malli, jossa vakioitu alkutaso ja kunta; luvut kuvaavat yhteyttä, eivät "
        "vaikutusta, koska palvelun saaminen ei ole satunnaistettu.",
        "Is change larger among clients who received a core element or more service? A linear "
        "model adjusted for the baseline score and municipality; the numbers describe "
        "association, not effect, because receiving the service was not randomised."),
    "na.mech.caption": ("Muutoksen yhteys ydinelementteihin ja annokseen (OLS, HC3-keskivirheet)",
                        "Association of change with core elements and dose (OLS, HC3 SEs)"),
    "term.needs_assessment": ("kuntoutustarpeen arviointi", "needs assessment"),
    "term.plan_with_goals": ("tavoitteellinen suunnitelma", "plan with goals"),
    "term.intensive_individual_work": ("tehostettu yksilötyö", "intensive individual work"),
    "term.group_activity": ("ryhmätoiminta", "group activity"),
    "term.log_hours": ("log(1 + tunnit)", "log(1 + hours)"),
    "term.baseline": ("alkutaso", "baseline score"),
    "instrument.3x10d": ("3X10D: elämä kokonaisuutena", "3X10D: life as a whole"),
    "instrument.esis": ("ESIS", "ESIS"),
    "instrument.whodas12": ("WHODAS-12", "WHODAS-12"),
    "instrument.eq5d3l": ("EQ VAS", "EQ VAS"),
    "na.pathways.figure": ("Jatkopolut kohderyhmän mukaan, kaikki kunnat (rivien osuudet)",
                           "Onward pathways by target group, all municipalities (row shares)"),
    "na.quality.figure": ("Laatukriteerien itsearvio kunnittain, viimeisin vuosi",
                          "Quality-criteria self-assessment by municipality, latest year"),
    "col.test": ("päättely", "inference"),
    # the pooled tables' inference (meta.TESTS), shown by name, not metafor's code
    "meta_test.z": ("z (normaalijakauma)", "z (normal)"),
    "meta_test.t": ("t-jakauma", "t distribution"),
    "meta_test.knha": ("Knapp–Hartung", "Knapp–Hartung"),
    "meta_test.adhoc": ("Knapp–Hartung (ad hoc -korjaus)", "Knapp–Hartung (ad hoc correction)"),
    "col.q": ("Q", "Q"),
    "col.q_pval": ("p (Q)", "p (Q)"),
    "col.bias": ("harha", "bias"),
    "col.q_between": ("Q ryhmien välillä", "Q between groups"),
    "col.q_between_pval": ("p (ryhmien ero)", "p (group difference)"),
    "col.moderator": ("selittäjä", "moderator"),
    "col.slope": ("kulmakerroin", "slope"),
    "col.r2": ("R² (%)", "R² (%)"),
    "col.fidelity_index": ("ydinelementtien indeksi", "fidelity index"),
    "col.share_all_four": ("kaikki neljä", "all four"),
    "col.mean_hours": ("tunteja / asiakkuus", "hours / episode"),
    "col.mean_contacts": ("käyntejä / asiakkuus", "contacts / episode"),
    "col.std_estimate": ("std. muutos", "std. change"),
    "col.std_ci_low": ("std. lv ala", "std. CI lower"),
    "col.std_ci_high": ("std. lv ylä", "std. CI upper"),
    "col.sigma2_municipality": ("kuntien varianssi", "municipality variance"),
    "col.shift": ("siirtymä", "shift"),
    "col.p_value": ("p", "p"),
    "col.pairs_3x10d": ("3X10D-pareja", "3X10D pairs"),
    "col.pairs_esis": ("ESIS-pareja", "ESIS pairs"),
    "col.pairs_whodas12": ("WHODAS-pareja", "WHODAS pairs"),
    "col.pairs_eq5d3l": ("EQ-5D-pareja", "EQ-5D pairs"),
    "na.headline": ("{k} kuntaa ja kuntayhtymää; standardoitu muutos SMCR (95 %:n lv): {effects}",
                    "{k} municipalities and joint authorities; standardised change SMCR (95% CI): {effects}"),
    "col.k": ("kuntia", "municipalities"),
    "col.estimate": ("estimaatti", "estimate"),
    "col.se": ("keskivirhe", "SE"),
    "col.pval": ("p", "p"),
    "col.pi_low": ("ennusteväli ala", "PI lower"),
    "col.pi_high": ("ennusteväli ylä", "PI upper"),
    "col.tau2": ("τ²", "τ²"),
    "col.i2": ("I² (%)", "I² (%)"),
    "col.mu_true": ("todellinen μ", "true μ"),
    "col.covered": ("lv peittää μ:n", "CI covers μ"),
    "col.group": ("alaryhmä", "subgroup"),
    "col.term": ("termi", "term"),
    "col.instruments": ("mittarit", "instruments"),
    "col.name": ("nimi", "name"),
    "col.planned_clients": ("suunniteltu", "planned"),
    "col.left_out": ("pois jätetty", "left out"),
    "col.rho": ("oletettu korrelaatio ρ", "assumed correlation ρ"),
    "col.n_effects": ("estimaatteja", "effect sizes"),
    "col.df": ("vapausasteet", "df"),
    "col.tau2_ci_low": ("τ² lv alaraja", "τ² CI lower"),
    "col.tau2_ci_high": ("τ² lv yläraja", "τ² CI upper"),
    "col.i2_ci_low": ("I² lv alaraja (%)", "I² CI lower (%)"),
    "col.i2_ci_high": ("I² lv yläraja (%)", "I² CI upper (%)"),
    "col.rstudent": ("standardoitu residuaali", "standardised residual"),
    "col.dffits": ("DFFITS", "DFFITS"),
    "col.cook_d": ("Cookin etäisyys", "Cook's distance"),
    "col.hat": ("vipuarvo", "hat value"),
    "col.tau2_del": ("τ² ilman kuntaa", "τ² without it"),
    "col.influential": ("vaikutusvaltainen", "influential"),
    # --- 30 instruments ----------------------------------------------------------------------
    "in.intro": (
        "Mittarien sisäinen johdonmukaisuus tässä aineistossa alkuarvioinneista: Cronbachin α "
        "(Feldtin luottamusväli), McDonaldin ω, osioiden korjatut osio–kokonaisuus-korrelaatiot "
        "sekä lattia- ja kattovaikutukset, rinnalla julkaistut arvot.",
        "Internal consistency of each instrument in these data at baseline: Cronbach's α (Feldt "
        "CI), McDonald's ω, corrected item–total correlations and floor/ceiling effects, next to "
        "the published values."),
    "in.summary": ("Yhteenveto", "Summary"),
    "in.summary.caption": ("Reliabiliteetti tässä aineistossa ja julkaistu arvo", "Reliability in these data and the published value"),
    "in.items.caption": ("{name}: osioanalyysi (alkuarviointi)", "{name}: item analysis (baseline)"),
    "in.formative": ("{name} on muodostava mittari ilman kokonaispistemäärää; sisäinen johdonmukaisuus kuvataan vain tiedoksi.",
                     "{name} is formative, without a total score; internal consistency is shown for information only."),
    "col.alpha": ("α", "α"),
    "col.alpha_ci_low": ("α ala", "α lower"),
    "col.alpha_ci_high": ("α ylä", "α upper"),
    "col.omega": ("ω", "ω"),
    "col.published_alpha": ("julkaistu α", "published α"),
    "col.published_source": ("lähde", "source"),
    "col.r_drop": ("korj. osio–kok. r", "corrected item–total r"),
    "col.alpha_if_deleted": ("α ilman osiota", "α if deleted"),
    "col.loading": ("lataus", "loading"),
    "col.floor_pct": ("lattia (%)", "floor (%)"),
    "col.ceiling_pct": ("katto (%)", "ceiling (%)"),
    "col.mean": ("ka", "mean"),
    "col.sd": ("kh", "SD"),
    "in.headline": ("{k} mittaria; α {range}", "{k} instruments; α {range}"),
    # --- generated text (soskulib.narrative) --------------------------------------------------
    "nar.size.very_small": ("hyvin pieni", "very small"),
    "nar.size.small": ("pieni", "small"),
    "nar.size.moderate": ("kohtalainen", "moderate"),
    "nar.size.large": ("suuri", "large"),
    "nar.improved": ("{name}: {size} myönteinen muutos, {metric} = {d} ({ci}, n = {n}).",
                     "{name}: {size} improvement, {metric} = {d} ({ci}, n = {n})."),
    "nar.deteriorated": (
        "{name}: {size} heikkeneminen, {metric} = {d} ({ci}, n = {n}); syyt kannattaa "
        "selvittää asiakkaiden ja työntekijöiden kanssa.",
        "{name}: {size} deterioration, {metric} = {d} ({ci}, n = {n}); look into the "
        "reasons with clients and staff."),
    "nar.unclear": (
        "{name}: ei selvää muutosta, {metric} = {d} ({ci}, n = {n}); aineisto sopii "
        "myös siihen, ettei muutosta ole.",
        "{name}: no clear change, {metric} = {d} ({ci}, n = {n}); the data are "
        "compatible with no change."),
    "nar.too_few": (
        "{name}: vain {n} asiakkaalla on sekä alku- että loppuarviointi (alle {min_n}); muutosta "
        "ei voi arvioida luotettavasti.",
        "{name}: only {n} clients have both a baseline and an end assessment (fewer than "
        "{min_n}); change cannot be judged reliably."),
    "nar.too_few_hidden": (
        "{name}: liian harvalla asiakkaalla on sekä alku- että loppuarviointi; muutosta ei voi "
        "arvioida (lukumäärä on piilotettu tietosuojan vuoksi).",
        "{name}: too few clients have both a baseline and an end assessment to judge change "
        "(the number is hidden to protect privacy)."),
    "nar.coverage": (
        "{name}: vain {pct} %:lla alkuarvioiduista on loppuarviointi; puuttuvat arvioinnit voivat "
        "vääristää tulosta, joten loppuarviointi kannattaa tehdä osana jokaista päättökäyntiä.",
        "{name}: only {pct}% of clients with a baseline assessment have an end assessment; "
        "missing follow-up may bias the result, so make the end assessment part of every "
        "closing visit."),
    "nar.reach_low": (
        "Tavoitettiin {pct} % suunnitellusta asiakasmäärästä: ohjautumista palveluun kannattaa tarkastella.",
        "Reach was {pct}% of the plan: review how clients find their way to the service."),
    "nar.reach_high": (
        "Tavoitettiin {pct} % suunnitellusta asiakasmäärästä: riittävätkö resurssit tehostettuun yksilötyöhön?",
        "Reach was {pct}% of the plan: are resources sufficient for intensive individual work?"),
    "nar.reach_ok": ("Tavoitettiin {pct} % suunnitellusta asiakasmäärästä.",
                     "Reach was {pct}% of the plan."),
    "nar.dropout": (
        "{pct} % päättyneistä asiakkuuksista keskeytyi: keskeyttäneiden kokemukset kannattaa kuulla.",
        "{pct}% of ended episodes were drop-outs: hear the experiences of those who left."),
    "nar.fidelity": (
        "Ydinelementtien indeksi {index} ({ci}): keskimääräinen asiakas sai "
        "useimmat mallin neljästä ydinelementistä.",
        "Fidelity index {index} ({ci}): the average client received most of "
        "the model's four core elements."),
    "nar.fidelity_low": (
        "Ydinelementtien indeksi {index} ({ci}): alle puolet mallin "
        "ydinelementeistä toteutuu keskimääräisellä asiakkaalla; mikä elementti puuttuu useimmin?",
        "Fidelity index {index} ({ci}): the average client receives fewer than "
        "half of the model's core elements; which element is missing most often?"),
    "nar.spc.none": ("Keskeyttämisen p-kortissa ei ole ei-satunnaista vaihtelua osoittavia signaaleja.",
                     "The dropout p-chart shows no signal of non-random variation."),
    "nar.spc.signals": (
        "Keskeyttämisen p-kortissa on signaali (ei-satunnaista vaihtelua) neljänneksillä "
        "{quarters}: {reasons}. Mitä noina aikoina muuttui?",
        "Dropout chart signals (non-random variation) in {quarters}: {reasons}. What changed then?"),
    "nar.spc.hidden": (
        "Peitetty neljännes {quarters} (alle {k} henkilöä tai toisen luvun suojaamiseksi) jää "
        "kuvaan katkoksena: katkos ei tarkoita nollaa eikä muutosta.",
        "The hidden quarter {quarters} (fewer than {k} people, or hidden to protect another "
        "number) is a gap in the line: the gap means neither zero nor a change."),
    "nar.spc.hidden_many": (
        "Peitetyt neljännekset {quarters} (alle {k} henkilöä tai toisen luvun suojaamiseksi) "
        "jäävät kuvaan katkoksina: katkos ei tarkoita nollaa eikä muutosta.",
        "The hidden quarters {quarters} (fewer than {k} people, or hidden to protect another "
        "number) are gaps in the line: a gap means neither zero nor a change."),
    "nar.spc.span": ("{span} ({k} neljännestä)", "{span} ({k} quarters)"),
    "nar.spc.outside_limits": ("3σ-rajojen ulkopuolella", "outside the 3σ limits"),
    "nar.spc.shift": ("pitkä jakso mediaanin samalla puolella", "a shift (long run on one side of the median)"),
    "nar.spc.trend": ("yhtäjaksoinen nousu tai lasku", "a trend"),
    "nar.spc.astronomical": ("poikkeuksellinen yksittäinen arvo", "an astronomical point"),
    "nar.nothing": ("Ei riittävästi tietoa johtopäätöksiin.", "Not enough data for conclusions."),
    "nar.headline": ("{name}: {n} asiakasta{reach}", "{name}: {n} clients{reach}"),
    "nar.headline.reach": (" ({pct} % suunnitellusta)", " ({pct}% of plan)"),
}

#: Validation rules and reject reasons (``rule.<id>``, ids of :mod:`soskulib.validation`), so
#: the data-quality page names them in words rather than as codes.
STRINGS.update({
    "rule.empty_file": ("tyhjä tiedosto", "empty file"),
    "rule.not_text": ("ei tekstitiedosto", "not a text file"),
    "rule.not_xlsx": ("ei xlsx-työkirja", "not an xlsx workbook"),
    "rule.not_sav": ("ei SPSS-tiedosto", "not an SPSS file"),
    "rule.unknown_format": ("tuntematon tiedostomuoto", "unknown file format"),
    "rule.unknown_table": ("tuntematon taulu", "unknown table"),
    "rule.wrong_header": ("virheellinen otsikkorivi", "wrong header row"),
    "rule.unknown_column": ("tuntematon sarake", "unknown column"),
    "rule.missing_optional_column": ("valinnainen sarake puuttuu", "optional column missing"),
    "rule.truncated": ("katkennut rivi", "truncated row"),
    "rule.wrong_field_count": ("väärä kenttien määrä", "wrong number of fields"),
    "rule.bad_encoding": ("virheellinen merkistö", "bad character encoding"),
    "rule.missing_required": ("pakollinen tieto puuttuu", "required value missing"),
    "rule.not_a_number": ("ei luku", "not a number"),
    "rule.not_an_integer": ("ei kokonaisluku", "not a whole number"),
    "rule.out_of_range": ("sallitun välin ulkopuolella", "out of range"),
    "rule.unknown_code": ("tuntematon koodi", "unknown code"),
    "rule.impossible_date": ("mahdoton päivämäärä", "impossible date"),
    "rule.date_out_of_window": ("päivämäärä hankeajan ulkopuolella", "date outside the programme period"),
    "rule.end_before_start": ("päättyy ennen alkua", "ends before it starts"),
    "rule.invalid_hetu": ("virheellinen henkilötunnus", "invalid personal identity code"),
    "rule.implausible_age": ("epäuskottava ikä", "implausible age"),
    "rule.unknown_municipality": ("tuntematon kunta", "unknown municipality"),
    "rule.municipality_mismatch": ("kunta ei vastaa kansiota", "municipality differs from its folder"),
    "rule.duplicate_row": ("kaksoiskappale rivistä", "duplicate row"),
    "rule.duplicate_key": ("sama tunniste kahdesti", "duplicate key"),
    "rule.unknown_client": ("tuntematon asiakas", "unknown client"),
})


def rule_label(rule: str, lang: str = "fi") -> str:
    """A validation rule or reject reason in words; several reasons (``"a;b"``) joined.

    Unknown ids are shown as they are (a new rule without a label yet).

    Examples
    --------
    >>> rule_label("duplicate_key", "fi"), rule_label("invalid_hetu;out_of_range", "en")
    ('sama tunniste kahdesti', 'invalid personal identity code; out of range')
    """
    parts = [p.strip() for p in str(rule).replace(",", ";").split(";") if p.strip()]
    return "; ".join(text(f"rule.{p}", lang) if f"rule.{p}" in STRINGS else p for p in parts)


def text(key: str, lang: Lang | str = "fi", /, **fields: object) -> str:
    """Return the string ``key`` in ``lang``, formatted with ``fields``.

    Parameters
    ----------
    key : str
        Key in :data:`STRINGS`.
    lang : {"fi", "en"}
        Language.
    **fields
        Values for the ``str.format`` fields of the string.

    Raises
    ------
    KeyError
        If ``key`` is unknown (the message lists similar keys).
    ValueError
        If ``lang`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> text("figure", "en")
    'Figure'
    """
    check_lang(lang)
    try:
        fi, en = STRINGS[key]
    except KeyError:
        prefix = key.split(".")[0]
        near = sorted(k for k in STRINGS if k.startswith(prefix))[:8]
        raise KeyError(f"no report string {key!r}; similar keys: {', '.join(near) or 'none'}. "
                       "Add it to soskulib/labels.py STRINGS.") from None
    s = fi if lang == "fi" else en
    return s.format(**fields) if fields else s


def check_lang(lang: object) -> str:
    """Return ``lang`` if it is a supported report language, else raise ``ValueError``.

    Examples
    --------
    >>> check_lang("en")
    'en'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return str(lang)


def register(strings: dict[str, tuple[str, str]]) -> None:
    """Add report strings (used by notebook-specific prose kept beside the others).

    Raises ``ValueError`` when a key is already defined with different text, so two modules
    cannot silently overwrite each other's wording.
    """
    for key, pair in strings.items():
        if len(pair) != 2:
            raise ValueError(f"report string {key!r} needs (Finnish, English), got {pair!r}")
        if key in STRINGS and STRINGS[key] != tuple(pair):
            raise ValueError(f"report string {key!r} is already defined with different text")
        STRINGS[key] = (pair[0], pair[1])


# --- development work in depth (soskulib.development, issue 14) -------------------------------
register({
    "rule.old_layout": ("vanha tiedostomuoto (uudet sarakkeet tyhjinä)", "old layout (new columns read as empty)"),
    "rule.level3_not_intensive_site": ("tason 3 toimintaa kunnassa, jota ei ole merkitty tason 3 kehittämiskunnaksi", "level-3 activity in an organisation not marked as a level-3 site"),
    "rule.placement_without_pathway": ("sijoittumisen tila ilman jatkopolkua", "placement status without a pathway"),
    "rule.placement_before_end": ("sijoittumisen tila ennen asiakkuuden päättymistä", "placement status before the episode ended"),
    "rule.gender_count_exceeds_total": ("naiset + miehet yli osallistujamäärän", "women + men exceed participants"),
    "rule.instrument_not_available": ("arviointi ennen mittarin käyttöönottoa", "assessment before the instrument existed"),
    "dev.plot.experiment": ("kokeilu alkoi", "experiment started"),
    "dev.plot.outcome_title": ("{name}: keskimääräinen muutos neljänneksittäin", "{name}: mean change by quarter"),
    "dev.plot.outcome_y": ("keskimääräinen muutos (+ = parannus)", "mean change (+ = improvement)"),
    "dev.plot.end_quarter": ("loppuarvioinnin neljännes", "quarter of the end assessment"),
    "dev.plot.mean_change": ("keskimääräinen muutos", "mean change"),
    "dev.plot.frozen_median": ("mediaani ennen kokeilua {id} (jatkettu)", "median before experiment {id} (extended)"),
    "dev.plot.signal_after": ("signaali kokeilun jälkeen", "signal after the experiment"),
    "mu.devwork.outcome_figure": (
        "Kokeilun kohteena olevan mittarin keskimääräinen muutos loppuarvioinnin neljänneksittäin; pystyviiva = kokeilun alku, katkoviiva = ennen kokeilua olleiden neljännesten mediaani jatkettuna (ajokorttisäännöt, Perla ym. 2011). Alle viiden asiakkaan neljännekset on peitetty.",
        "Mean change on the instrument the experiment targets, by quarter of the end assessment; vertical line = start of the experiment, dashed line = median of the quarters before it, extended (run-chart rules, Perla et al. 2011). Quarters of fewer than five clients are hidden."),
    "dev.plot.raised": ("ideat, {level}", "ideas raised, {level}"),
    "dev.plot.adopted": ("otettu käyttöön, {level}", "taken up, {level}"),
    "dev.plot.ideas": ("ideoita (ylös: nousseet, alas: käyttöön otetut)", "ideas (up: raised, down: taken up)"),
    "dev.plot.loop_title": ("Tasoilla nousseet ja käyttöön otetut ideat neljänneksittäin",
                            "Ideas raised and taken up per level and quarter"),
    "dev.direction.down": ("laski", "fell"),
    "dev.direction.up": ("nousi", "rose"),
    "dev.direction.none": ("ei muutosta", "no change"),
    "dev.direction.same": ("samalla tasolla", "same level"),
    "dev.rule.shift": ("siirtymä", "shift"),
    "dev.rule.trend": ("trendi", "trend"),
    "dev.rule.astronomical": ("poikkeava piste", "astronomical point"),
    "dev.rule.outside_limits": ("p-kortin 3σ-rajojen ulkopuolella", "outside the p-chart 3σ limits"),
    "dev.note.too_few_quarters": ("liian vähän neljänneksiä ennen kokeilua", "too few quarters before the experiment"),
    "dev.note.medians_hidden_small_quarters": ("mediaanit piilotettu (pieniä neljänneksiä)", "medians hidden (small quarters)"),
    "dev.yes": ("kyllä", "yes"),
    "dev.no": ("ei", "no"),
    "mu.devwork": ("Kehittämistyön tasot, kokeilut ja osallistujat", "Levels, experiments and participants of development work"),
    "mu.devwork.intro": (
        "Kuntoutussäätiön kehittämisen tuki toimi kolmella tasolla: alueelliset ja valtakunnalliset areenat (taso 1), hankkeita yhdistävät työpajaryhmät (taso 2) ja intensiivinen verkostokehittäminen muutamassa kunnassa (taso 3). Taulukot kertovat osahankkeen kirjaamat tapahtumat tasoittain, osallistujat rooleittain ja sukupuolen mukaan (osallistumiskertoja, ei henkilöitä; alle viiden kerrat on peitetty) sekä kokeilurekisterin. Näkyykö kokeilu ajantasaisessa seurannassa: muuttuiko sarja kokeilun jälkeen ajoituskaavion sääntöjen (Perla ym. 2011) mukaan? Muutos ei todista, että kokeilu sen aiheutti.",
        "Kuntoutussäätiö's development support worked at three levels: regional and national arenas (level 1), workshop groups across sub-projects (level 2) and intensive network development in a few municipalities (level 3). The tables give the events the sub-project logged by level, participants by role and by gender (attendances, not persons; fewer than five hidden) and the experiment register. Whether an experiment shows on the monitoring charts is tested by the run-chart rules (Perla et al. 2011): did the series move after it? A change does not prove the experiment caused it."),
    "mu.devwork.levels_caption": ("Kehittämistapahtumat tasoittain ja vuosittain", "Development events by level and year"),
    "mu.devwork.roles_caption": ("Osallistumiskerrat rooleittain ja tasoittain", "Attendances by role and level"),
    "mu.devwork.gender_caption": ("Osallistumiskerrat sukupuolen mukaan ja tasoittain (muu = sukupuoli ei kirjattu)",
                                  "Attendances by gender and level (other = gender not recorded)"),
    "mu.devwork.register_caption": ("Ideat ja kokeilut (kokeilurekisteri)", "Ideas and experiments (register)"),
    "mu.devwork.tests_caption": ("Muuttuiko seurattu sarja kokeilun jälkeen? (ajoituskaavion säännöt, perustaso = kokeilua edeltävien neljännesten mediaani)",
                                 "Did the targeted series move after the experiment? (run-chart rules, baseline = median of the quarters before it)"),
    "mu.devwork.tests_note": ("Ennen–jälkeen-vertailu kertoo muutoksesta, ei vaikutuksesta: sama muutos voi johtua muusta samaan aikaan tapahtuneesta.",
                              "A before–after comparison shows change, not effect: something else happening at the same time could move the series too."),
    "mu.spc.experiments_figure": ("Aloittaneista 26 viikon sisällä keskeyttäneiden osuus aloitusneljänneksittäin (p-kortti) ja keskeyttämiseen kohdistuneet kokeilut",
                                  "Share of starters dropping out within 26 weeks by quarter of starting (p-chart), with the experiments aimed at dropout"),
    "mu.service": ("Työntekijäjatkuvuus, menetelmät ja jatkopolkujen pysyvyys", "Continuity with a worker, methods, and placements held"),
    "mu.service.intro": (
        "Jatkuvuus: kuinka suuri osa asiakkaan yksilökäynneistä oli saman, useimmin tavatun työntekijän kanssa (UPC-indeksi, Breslau & Reeb 1975; asiakkaat, joilla vähintään kolme käyntiä). Menetelmäperheet: käynnit ja asiakkaat menetelmittäin. Avoimet ryhmät kirjataan ilman henkilötietoja. Jatkopolkujen pysyvyys: oliko työ-, koulutus-, työkokeilu-, työpaja- tai kuntoutuspaikka voimassa 3 ja 6 kuukautta asiakkuuden päättymisen jälkeen; tuntemattomat tilat näytetään erikseen.",
        "Continuity: the share of a client's individual contacts with the same, most frequent worker (usual-provider continuity, Breslau & Reeb 1975; clients with at least three contacts). Method families: contacts and clients by method. Open groups are counted without identities. Placements held: whether the work, study, work-trial, workshop or rehabilitation placement was still in place 3 and 6 months after the episode ended; unknown statuses are shown separately."),
    "mu.service.continuity_caption": ("Jatkuvuus saman työntekijän kanssa (UPC)", "Continuity with the same worker (UPC)"),
    "mu.service.method_caption": ("Käynnit ja asiakkaat menetelmäperheittäin", "Contacts and clients by method family"),
    "mu.service.sessions_caption": ("Avoimet ryhmäkerrat (ei henkilötietoja)", "Open group sessions (no personal data)"),
    "mu.service.placements_caption": ("Jatkopolkujen pysyvyys 3 ja 6 kuukauden kuluttua", "Placements held after 3 and 6 months"),
    "mu.service.targets_caption": ("Asiakkuudet kohderyhmittäin, kun ryhmät menevät päällekkäin (asiakas voi kuulua useaan)",
                                   "Episodes by target group when groups overlap (an episode may belong to several)"),
    "na.loop": ("Kehittämisen tasot ja silmukka", "Levels of development and the loop"),
    "na.loop.intro": (
        "Paikallisen kehittämisen tulokset viedään seuraavalle tasolle työstettäviksi, ja tuotokset ja uudet ideat palautetaan alue- ja paikallistasolle (Kuntoutussäätiö). Kokeilurekisteristä näkyy, millä tasolla idea nousi ja millä se otettiin käyttöön: ylös = paikalliselta yleisemmälle tasolle, alas = takaisin paikallistasolle. Jaetut tapahtumat on kirjattu kerran, kaikki osallistuneet organisaatiot mukaan lukien.",
        "Local results are taken to the next level to be worked on, and the outputs and new ideas come back to the regional and local level (Kuntoutussäätiö). The experiment register shows where an idea was raised and where it was taken up: up = from local to a more general level, down = back to the local level. Shared events are logged once, with every organisation that took part."),
    "na.loop.levels_caption": ("Kehittämistapahtumat ja osallistuneet organisaatiot tasoittain vuosittain",
                               "Development events and organisations taking part by level and year"),
    "na.loop.sites_caption": ("Tason 3 intensiiviset kehittämiskunnat ja kuntien kirjaamat kehittämistapahtumat",
                              "Intensive level-3 sites and the development events each organisation logged"),
    "na.loop.sites_note": (
        "Tason 3 kunnat ovat ne, jotka osahankkeiden tiedosto merkitsee intensiivisiksi kehittämiskunniksi. Tason 3 intensiivinen verkostokehittäminen on tarkoitettu muutamalle alueellisesti ja palvelujen järjestämistavan suhteen edustavalle kunnalle (Kuntoutussäätiö). ”Ristiriidaton: ei” tarkoittaa, että merkitty kunta ei ole kirjannut tason 3 tapahtumia tai merkitsemätön kunta on kirjannut niitä.",
        "Level-3 sites are the organisations the sub-projects file marks as intensive development sites. Level-3 intensive network development was meant for a few municipalities representative by region and by how services are organised (Kuntoutussäätiö). “Consistent: no” means a flagged site logged no level-3 events, or an organisation not flagged logged some."),
    "col.level3_site": ("tason 3 kunta", "level-3 site"),
    "col.theme": ("teema", "theme"),
    "col.first_quarter": ("ensimmäinen neljännes", "first quarter"),
    "col.last_quarter": ("viimeinen neljännes", "last quarter"),
    "na.loop.themes_caption": ("Tason 2 työpajaryhmät teemoittain: tapahtumat ja osallistuneet organisaatiot",
                               "Level-2 workshop groups by theme: events and organisations taking part"),
    "col.n_level3_events": ("tason 3 tapahtumia", "level-3 events"),
    "col.share_level3": ("tason 3 osuus (%)", "level-3 share (%)"),
    "col.consistent": ("ristiriidaton", "consistent"),
    "na.loop.figure": ("Ideat, jotka nousivat ja otettiin käyttöön kullakin tasolla, neljänneksittäin",
                       "Ideas raised and taken up at each level, per quarter"),
    "na.loop.matrix_caption": ("Käyttöön otetut ideat: nousutaso × käyttöönottotaso", "Adopted ideas: level raised × level taken up"),
    "na.loop.gender_caption": ("Kehittämistyöhön osallistuminen sukupuolen mukaan tasoittain (osallistumiskertoja)",
                               "Participation in development work by gender and level (attendances)"),
    "na.loop.roles_caption": ("Kehittämistyöhön osallistuminen rooleittain tasoittain (osallistumiskertoja)",
                              "Participation in development work by role and level (attendances)"),
    "na.loop.tests_caption": ("Kokeilut seurantakorteilla: muuttuiko sarja kokeilun jälkeen?", "Experiments on the monitoring charts: did the series move after them?"),
    "na.reach_need": ("Tavoittavuus suhteessa tarpeeseen", "Reach against need"),
    "na.reach_need.intro": (
        "Asiakkuuksia tuhatta pitkäaikaistyötöntä kohden kunnittain (tarvetaulukko käyttäjältä; Poisson-luottamusväli). Esimerkkiaineiston tarveluvut ovat KEKSITTYJÄ, eivät Sotkanetin tai Tilastokeskuksen lukuja: oikeassa käytössä tilalle tulee julkaistu taulukko (muoto: docs/context_table.md).",
        "Episodes per 1,000 long-term unemployed residents by municipality (need table supplied by the user; Poisson confidence interval). The demo's need figures are SYNTHETIC, not Sotkanet or Statistics Finland numbers: in real use, supply the published table (format: docs/context_table.md)."),
    "na.reach_need.caption": ("Asiakkuudet tuhatta tarvitsevaa kohden", "Episodes per 1,000 persons in need"),
    "na.continuity_caption": ("Jatkuvuus saman työntekijän kanssa kunnittain (UPC)", "Continuity with the same worker by municipality (UPC)"),
    "col.level": ("taso", "level"),
    "col.n_organisations": ("organisaatioita", "organisations"),
    "col.n_peer_pairs": ("ammattilais–vertaistyöpareja", "professional–peer pairs"),
    "col.role": ("rooli", "role"),
    "col.experiment_id": ("tunnus", "id"),
    "col.description": ("kuvaus", "description"),
    "col.origin": ("idean lähde", "origin"),
    "col.raised_level": ("nousutaso", "level raised"),
    "col.adopted_level": ("käyttöönottotaso", "level taken up"),
    "col.start_date": ("alkoi", "started"),
    "col.target_measure": ("seurattava sarja", "series"),
    "col.status": ("tila", "status"),
    "col.mechanism": ("mekanismi", "mechanism"),
    "col.start_quarter": ("aloitusneljännes", "start quarter"),
    "col.n_before": ("neljänneksiä ennen", "quarters before"),
    "col.n_after": ("neljänneksiä jälkeen", "quarters after"),
    "col.median_before": ("mediaani ennen", "median before"),
    "col.median_after": ("mediaani jälkeen", "median after"),
    "col.direction": ("suunta", "direction"),
    "col.rules": ("säännöt", "rules"),
    "col.signal": ("muutos", "moved"),
    "col.note": ("huomio", "note"),
    "col.n_clients_upc": ("asiakkaita", "clients"),
    "col.mean_upc": ("UPC, ka", "UPC, mean"),
    "col.share_upc_75": ("UPC ≥ 0,75 (%)", "UPC ≥ 0.75 (%)"),
    "col.method": ("menetelmä", "method"),
    "col.n_contacts": ("käyntejä", "contacts"),
    "col.share_contacts": ("käynneistä (%)", "of contacts (%)"),
    "col.n_sessions": ("kertoja", "sessions"),
    "col.attendance": ("osallistumisia", "attendances"),
    "col.mean_per_session": ("keskimäärin kerralla", "mean per session"),
    "col.share_women": ("naisia (%)", "women (%)"),
    "col.followup": ("seuranta", "follow-up"),
    "col.n_placed": ("sijoittuneita", "placed"),
    "col.n_due": ("tila kirjattu", "status recorded"),
    "col.n_known": ("tila tiedossa", "status known"),
    "col.held": ("jatkui", "held"),
    "col.share_held": ("jatkui (%)", "held (%)"),
    "col.n_only": ("vain tämä ryhmä", "this group only"),
    "col.indicator": ("tarveluku", "indicator"),
    "col.need": ("tarvitsevia", "persons in need"),
    "col.rate_per_1000": ("per 1 000", "per 1,000"),
    "col.source": ("lähde", "source"),
    "col.n_ideas": ("ideoita", "ideas"),
    "col.group_name": ("ryhmä", "group"),
    "col.title": ("nimi", "title"),
    "col.available_from": ("käytössä alkaen", "in use from"),
    "col.codings": ("ilmoitettava vaihtoehtoinen koodaus", "alternative coding to declare"),
    "col.unverified": ("tarkistamatta", "not verified"),
    "in.specs": ("Mittarien käyttöönotto, koodaukset ja tarkistamattomat oletukset",
                 "Instruments: in use from, codings and unverified assumptions"),
    "in.specs.intro": (
        "Arviointi, joka on päivätty ennen mittarin käyttöönottoa, hylätään. WHODAS-vastaukset, jotka lomakkeella on koodattu 1–5, muunnetaan 0–4-asteikolle, kun tiedostossa sanotaan niin (sarake koodaus). Kykyviisarista tuodaan sen palvelun laskemat pisteet; tarkistamattomat kohdat on lueteltu.",
        "An assessment dated before its instrument existed is refused. WHODAS answers coded 1–5 on the form are recoded to 0–4 when the file says so (column koodaus). Kykyviisari is imported as the scores its service computes; unverified points are listed."),
    "in.specs.caption": ("Mittarit: käytössä alkaen, vaihtoehtoiset koodaukset, tarkistamattomat oletukset",
                         "Instruments: in use from, alternative codings, unverified assumptions"),
})


# --- figures (soskulib.plots) -----------------------------------------------------------------
register({
    "plot.quarter": ("vuosineljännes", "quarter"),
    "plot.dropout_share": ("keskeyttäneiden osuus päättyneistä", "dropout share of ended episodes"),
    "plot.spc.title": ("Keskeyttäminen neljänneksittäin (p-kortti)", "Dropout by quarter (p-chart)"),
    "plot.dropout_share_cohort": ("keskeyttäneiden osuus {weeks} viikon sisällä aloituksesta",
                                  "share dropping out within {weeks} weeks of starting"),
    "plot.dropout_share_cohort_axis": ("keskeytti {weeks} viikossa", "dropped out in {weeks} weeks"),
    "plot.start_quarter": ("aloitusneljännes", "quarter of starting"),
    "plot.centre": ("keskiviiva", "centre line"),
    "plot.limits": ("3σ-rajat", "3σ limits"),
    "plot.median": ("mediaani", "median"),
    "plot.signal": ("signaali", "signal"),
    # Not "fewer than k people": a hatched block also holds cells hidden only so that a small
    # one cannot be found by subtraction (e.g. Vantaa's men with 0-1 elements); the captions
    # and the method note say both.
    "plot.suppressed": ("peitetty", "suppressed"),
    "plot.funnel.title": ("Suppilokuvio: osuus ja otoskoko", "Funnel plot: rate by size"),
    "plot.funnel.x": ("päättyneitä asiakkuuksia (n)", "number of episodes (n)"),
    "plot.funnel.95": ("95 % raja", "95% limit"),
    "plot.funnel.998": ("99,8 % raja", "99.8% limit"),
    "plot.caterpillar.title": ("Kunnittaiset arviot ja 95 %:n luottamusvälit",
                               "Estimates by municipality with 95% CIs"),
    "plot.quality.title": ("Laatukriteerien itsearvio ({year})",
                           "Quality-criteria self-assessment ({year})"),
    "plot.quality.rating": ("arvio", "rating"),
    "plot.quality.low": ("1 = ei toteudu", "1 = not in place"),
    "plot.quality.high": ("4 = toteutuu täysin", "4 = fully in place"),
    "plot.quality.missing": ("– = ei arvioitu", "– = not rated"),
    "plot.municipality": ("kunta", "municipality"),
    "plot.year": ("vuosi", "year"),
    "plot.gender": ("sukupuoli", "gender"),
    "plot.criterion": ("kriteeri", "criterion"),
    "plot.fidelity.title": ("Ydinelementtien toteutuminen asiakkailla",
                            "Core elements received per client"),
    "plot.fidelity.legend": ("ydinelementtejä (0–4)", "core elements (0–4)"),
    "plot.share_clients": ("osuus asiakkaista", "share of clients"),
    "plot.dose.title": ("Palvelun määrä asiakasta kohden", "Service dose per client"),
    "plot.prepost.title": ("Mittaukset alussa ja lopussa", "Scores at baseline and end"),
    "plot.score": ("pistemäärä", "score"),
    "plot.occasion": ("mittauskerta", "occasion"),
    "plot.traffic.title": ("3X10D-liikennevalot ({occasion})", "3X10D traffic lights ({occasion})"),
    "plot.traffic.red": ("punainen 0–5", "red 0–5"),
    "plot.traffic.yellow": ("keltainen 6–7", "yellow 6–7"),
    "plot.traffic.green": ("vihreä 8–10", "green 8–10"),
    "plot.life_area": ("elämänalue", "life area"),
    "plot.pathway.title": ("Jatkopolut lähtötilanteen mukaan", "Onward pathways by starting point"),
    "plot.pathway.title.target_group": ("Jatkopolut kohderyhmän mukaan",
                                        "Onward pathways by target group"),
    "plot.pathway.title.gender": ("Jatkopolut sukupuolen mukaan", "Onward pathways by gender"),
    "plot.pathway": ("jatkopolku", "onward pathway"),
    "plot.codev.title": ("Yhteiskehittäminen neljänneksittäin", "Co-development activity by quarter"),
    "plot.codev.events": ("tapahtumia", "events"),
    "plot.codev.share": ("asiakkaiden ja kokemusasiantuntijoiden osuus osallistujista",
                         "share of clients and experts by experience among participants"),
    "plot.codev.share_axis": ("kokemustiedon osuus", "lived-experience share"),
    "plot.n_label": ("n = {n}", "n = {n}"),
    "plot.entries": ("uusia asiakkuuksia", "new client episodes"),
    "plot.entries.title": ("Uudet asiakkuudet neljänneksittäin", "New client episodes by quarter"),
    "plot.effect": ("standardoitu muutos (positiivinen = parannus)", "standardised change (positive = improvement)"),
    "plot.effect.title": ("Muutos alusta loppuun, 95 %:n luottamusväli",
                          "Change from baseline to end, 95% CI"),
    "plot.truth.title": ("Yhdistetty estimaatti ja todellinen μ", "Pooled estimate and true μ"),
    "plot.truth.pooled": ("yhdistetty SMCR ({test}), 95 %:n lv", "pooled SMCR ({test}), 95% CI"),
    "plot.truth.mu": ("todellinen μ (demoaineiston generaattori)", "true μ (demo generator)"),
    "plot.instrument": ("mittari", "instrument"),
    "plot.tipping.title": ("Kuinka paljon huonommin keskeyttäneiden olisi pitänyt pärjätä?",
                           "How much worse would non-completers have had to fare?"),
    "plot.tipping.x": ("δ: keskeyttäneiden loppupisteet huonompia kuin vastaavien loppuun asti "
                       "jatkaneiden (alkutason keskihajontoina)",
                       "δ: non-completers' end scores worse than similar completers' "
                       "(in baseline SDs)"),
    "plot.tipping.y": ("kaikkien aloittaneiden muutos SMCR (95 %:n lv)",
                       "change of all starters, SMCR (95% CI)"),
    "plot.tipping.point": ("muutos häviää: δ = {d}", "change vanishes: δ = {d}"),
    "plot.tipping.none": ("muutos ei häviä, kun δ ≥ {d}", "the change does not vanish for δ ≥ {d}"),
})


# --- provenance block of every page (soskulib.provenance) ---------------------------------------
register({
    "prov.heading": ("Tekninen tausta ja toistettavuus", "Provenance and reproducibility"),
    "prov.built": ("Koottu", "Built"),
    "prov.code": ("Ohjelmaversio", "Code version"),
    "prov.commit": ("git-versio", "git commit"),
    "prov.modified": ("työkopiossa oli tallentamattomia muutoksia",
                      "the working tree had uncommitted changes"),
    "prov.clean": ("ei tallentamattomia muutoksia", "no uncommitted changes"),
    "prov.unknown": ("tuntematon", "unknown"),
    "prov.environment": ("Ohjelmaympäristö", "Environment"),
    "prov.lock_match": ("paketit täsmälleen lukkotiedoston {file} mukaiset",
                        "packages exactly as pinned in {file}"),
    "prov.lock_differs": ("paketit poikkeavat lukkotiedostosta {file}: {differences}",
                          "packages differ from {file}: {differences}"),
    "prov.lock_unknown": ("lukkotiedostoa {file} ei löytynyt",
                          "lock file {file} not found"),
    "prov.data": ("Aineiston tarkistussumma (SHA-256)", "Data checksum (SHA-256)"),
    "prov.settings": ("Lukuihin vaikuttavat asetukset", "Settings that change the numbers"),
    "prov.setting.language": ("kieli: {name}", "language: {name}"),
    "prov.language.fi": ("suomi", "Finnish"),
    "prov.language.en": ("englanti", "English"),
    "prov.setting.disclosure": (
        "alle {k} henkilön solut peitetään ({secondary} toissijainen peittäminen; "
        "ryhmät {protected} peitetään vasta viimeisenä keinona; muun ryhmän alle {k} hengen "
        "joukko jätetään julkaisusta pois, docs/disclosure.md)",
        "cells of fewer than {k} people suppressed ({secondary} secondary suppression; "
        "the groups {protected} hidden only as a last resort; another group of fewer than {k} "
        "is left out of the publication, docs/disclosure.md)",
    ),
    "prov.secondary.complementary": ("täydentävä", "complementary"),
    "prov.secondary.optimal": ("optimoitu", "optimised"),
    "prov.setting.min_pairs": (
        "kunnan tulos mukaan yhdistettyyn analyysiin vähintään {n} parista",
        "a municipality's result enters the synthesis with at least {n} complete pairs",
    ),
    "prov.setting.fidelity": (
        "ydinelementit: tehostettu yksilötyö = vähintään {contacts} yksilökäyntiä ja "
        "keskimäärin {per_month} kuukaudessa, suunnitelma = vähintään {goals} tavoite",
        "core elements: intensive individual work = at least {contacts} individual contacts "
        "and on average {per_month} per month, plan = at least {goals} goal(s)",
    ),
    "prov.key": ("Pseudonymisointiavaimen tunniste", "Pseudonymisation key fingerprint"),
    "prov.key_note": (
        "HMAC-SHA256 vakiotekstistä avaimella (ensimmäiset 16 heksamerkkiä); sama avain antaa "
        "saman tunnisteen, mutta avainta ei voi päätellä siitä",
        "HMAC-SHA256 of a constant text under the key (first 16 hex digits); the same key gives "
        "the same fingerprint, and the key cannot be derived from it",
    ),
    "prov.key_none": ("ei avainta (aineistossa ei henkilötunnuksia)",
                      "no key (no identity codes in the data)"),
    "prov.reproduce": ("Sivun tuottaminen uudelleen", "How to reproduce this page"),
    "prov.reproduce_note": (
        "Sama versio, lukitut paketit, aineisto ja avain tuottavat tavulleen samat CSV-taulukot "
        "ja saman sivun (kokoamisaikaa lukuun ottamatta).",
        "The same commit, locked packages, data and key give byte-identical CSV tables and the "
        "same page (apart from the build time).",
    ),
    "prov.reproduce_real": (
        "aseta sama pseudonymisointiavain (SOSKU_PSEUDO_KEY_FILE) ja sama aineisto kansioon "
        "{raw}",
        "set the same pseudonymisation key (SOSKU_PSEUDO_KEY_FILE) and put the same export "
        "in {raw}",
    ),
})


#: English for the free text the demo export writes (experiment descriptions and target
#: services, activity themes, open groups, sub-project names): our own vocabulary, so English
#: pages translate it. Free text from a real municipality's export that is not in this table
#: is shown as recorded, marked with :data:`AS_RECORDED` (see :func:`data_text`).
DATA_TEXT_EN: dict[str, str] = {
    # experiment register: descriptions (soskulib.demo_development)
    "Matalan kynnyksen paluureitti keskeyttämisen ehkäisyyn":
        "Low-threshold route back, to prevent dropout",
    "Vertaisohjaajan tuki ryhmissä keskeyttämisen ehkäisyyn":
        "Peer instructor support in groups, to prevent dropout",
    "Asiakasraati palvelupolun arvioijana": "Client panel assessing the service path",
    "Jalkautuva työ asiakkaan kotiin": "Outreach work in the client's home",
    "Vertaisohjaaja ryhmän rinnalle": "A peer instructor alongside the group",
    "Yhteinen asiakassuunnitelma TE-palvelujen kanssa":
        "A joint client plan with the employment services (TE services)",
    "3X10D-keskustelu tavoitteiden pohjana": "3X10D conversation as the basis of goals",
    "Luontoryhmä nuorille": "Nature group for young people",
    "Digitaalinen yhteydenpito ryhmien välillä": "Digital contact between group meetings",
    "Ammattilais–vertaistyöpari vastaanotolle": "Professional–peer pair at appointments",
    # experiment register: target services
    "aikuissosiaalityö": "adult social work",
    "asiakassuunnitelma": "client plan",
    "jalkautuva työ": "outreach work",
    "ohjaus ja neuvonta": "guidance and advice",
    "ryhmätoiminta": "group activity",
    "ryhmätoiminta ja yksilötyö": "group activity and individual work",
    "tarpeiden arviointi": "assessment of needs",
    # activity log: themes (soskulib.demo THEMES, demo_development shared events)
    "Alueellinen SOSKU-verkosto": "Regional SOSKU network",
    "Asiakasraadin työpaja: palvelupolun kuvaaminen":
        "Client panel workshop: describing the service path",
    "Yhteiskehittämisen työpaja: ryhmätoiminnan sisällöt":
        "Co-development workshop: the content of group activities",
    "Työpaja: asiakassuunnitelman tavoitteiden asettaminen":
        "Workshop: setting the goals of the client plan",
    "Kokemusasiantuntijoiden työpaja: matalan kynnyksen palvelut":
        "Experts-by-experience workshop: low-threshold services",
    "Työpaja: sosiaalisen kuntoutuksen prosessin mallintaminen":
        "Workshop: modelling the social rehabilitation process",
    "Verkostotapaaminen: TE-palvelut ja työpajat":
        "Network meeting: employment services and work-activity workshops",
    "Verkostotapaaminen: järjestöyhteistyö": "Network meeting: cooperation with NGOs",
    "Verkostotapaaminen: mielenterveys- ja päihdepalvelut":
        "Network meeting: mental health and substance abuse services",
    "Verkostotapaaminen: nuorten palvelut ja Ohjaamo":
        "Network meeting: youth services and Ohjaamo (one-stop guidance centre)",
    "Kokeilu: jalkautuva työ asiakkaan kotiin": "Experiment: outreach work in the client's home",
    "Kokeilu: vertaisohjaajan tuki ryhmissä": "Experiment: peer instructor support in groups",
    "Kokeilu: 3X10D-keskustelu tavoitteiden pohjana":
        "Experiment: 3X10D conversation as the basis of goals",
    "Kokeilu: liikunnallinen ryhmä": "Experiment: physical activity group",
    "Kokeilu: digitaalinen yhteydenpito": "Experiment: digital contact",
    "Kokeilu: keskeyttämisen ehkäisy – matalan kynnyksen paluureitti":
        "Experiment: preventing dropout – a low-threshold route back",
    "Koulutus: GAS-menetelmä": "Training: the GAS method",
    "Koulutus: motivoiva haastattelu": "Training: motivational interviewing",
    "Koulutus: osallisuusindikaattorin käyttö": "Training: using the inclusion indicator",
    "Koulutus: ratkaisukeskeinen työote": "Training: the solution-focused approach",
    "Koulutus: traumatietoinen työote": "Training: the trauma-informed approach",
    "SOSKU-areena: kuntien kehittämistyön ja seurantatiedon jakaminen":
        "SOSKU arena: municipalities share their development work and monitoring data",
    "Työpajaryhmä: nuorten sosiaalinen kuntoutus":
        "Workshop group: social rehabilitation of young people",
    "Työpajaryhmä: arvioinnin mittarit": "Workshop group: evaluation instruments",
    "Työpajaryhmä: asiakasosallisuus": "Workshop group: client participation",
    "Työpajaryhmä: jatkopolut ja TYP-yhteistyö":
        "Workshop group: onward pathways and work with TYP (the multi-sector joint service)",
    # open groups counted without identities
    "Avoin vertaisryhmä": "Open peer group",
    "Nuorten avoin liikuntavuoro": "Open sports session for young people",
    "Olohuonetoiminta, Suomussalmi": "Living-room activity, Suomussalmi",
    # sub-project names (osahankkeet.csv)
    "Vantaan sosiaalisen kuntoutuksen yhteiskehittäminen":
        "Co-development of social rehabilitation in Vantaa",
    "Rovaniemen nuorten ja aikuisten sosiaalinen kuntoutus":
        "Social rehabilitation of young people and adults in Rovaniemi",
    "Essoten sosiaalisen kuntoutuksen palvelumalli":
        "Essote's service model of social rehabilitation",
    "Seinäjoen sosiaalisen kuntoutuksen kehittämishanke":
        "Seinäjoki's social rehabilitation development project",
    "Forssan seudun sosiaalinen kuntoutus": "Social rehabilitation in the Forssa region",
    "Järvenpään sosiaalisen kuntoutuksen toimintamalli":
        "Järvenpää's operating model of social rehabilitation",
    "Laukaan sosiaalisen kuntoutuksen kokeilu": "Laukaa's social rehabilitation pilot",
    "Jyväskylän osallisuutta vahvistava sosiaalinen kuntoutus":
        "Social rehabilitation strengthening inclusion in Jyväskylä",
    "SOS-Kainuu: sosiaalinen kuntoutus Kainuussa": "SOS-Kainuu: social rehabilitation in Kainuu",
}

#: Added after free text shown on an English page as the municipality recorded it.
AS_RECORDED = "(in Finnish, as recorded)"


def data_text(value: object, lang: Lang | str = "fi") -> object:
    """Free text from the data (an experiment's description, a theme, a group's name) for a page.

    Finnish pages show it as recorded. English pages show the English of our own vocabulary
    (:data:`DATA_TEXT_EN`: what the demo export writes); any other text is the
    municipality's own words, shown as recorded and marked :data:`AS_RECORDED`, so that an
    English page never mixes languages silently. Missing values pass through.

    Parameters
    ----------
    value : str or missing
        The text as in the processed data.
    lang : {"fi", "en"}
        Page language.

    Returns
    -------
    str or the missing value

    Examples
    --------
    >>> data_text("Avoin vertaisryhmä", "en"), data_text("Avoin vertaisryhmä", "fi")
    ('Open peer group', 'Avoin vertaisryhmä')
    >>> data_text("Kahvila Kohtaamo", "en")
    'Kahvila Kohtaamo (in Finnish, as recorded)'
    """
    check_lang(lang)
    if lang == "fi" or not isinstance(value, str) or not value.strip():
        return value
    return DATA_TEXT_EN.get(value.strip(), f"{value} {AS_RECORDED}")
