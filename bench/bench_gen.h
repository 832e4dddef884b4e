/*
 * bench_gen.h: what bench/publish_only.c and bench/digest_only.c share to
 * fill a store with generated releases (strings, a seeded generator, the
 * words releases are made of). Static functions, included by each driver
 * after its own includes; not part of feedmill.
 */
/* ---- strings ---- */

struct sb {
	char	*p;
	size_t	 len, cap;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("sb_printf: too long");
	sb_add(b, tmp, (size_t)n);
}

static void
sb_reset(struct sb *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* ---- random numbers: splitmix64, a stream per release ---- */

static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t
rnd(struct rng *r)
{
	return mix(r->s += 0x9e3779b97f4a7c15ull);
}

static unsigned
below(struct rng *r, unsigned n)
{
	return (unsigned)(rnd(r) % n);
}

static double
unit(struct rng *r)
{
	return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

#define PICK(r, a)	((a)[below((r), sizeof(a) / sizeof(*(a)))])

/* ---- the grammar (every name invented) ---- */

struct topic {
	const char	*slug;
	const char	*phrases[4];
};

static const struct topic topics[] = {
	{ "arms-control", { "small arms and light weapons", "stockpiles of conventional ammunition", "the Vienna Document inspection", "mine action" } },
	{ "border-management", { "border security and management", "border guards", "border crossing points", "cross-border co-operation" } },
	{ "combating-trafficking-in-human-beings", { "trafficking in human beings", "victims of trafficking", "forced labour", "national referral mechanisms" } },
	{ "conflict-prevention-and-resolution", { "the ceasefire", "the conflict settlement process", "mediation", "early warning" } },
	{ "countering-terrorism", { "violent extremism", "foreign terrorist fighters", "terrorist financing", "travel document security" } },
	{ "cyber-ict-security", { "cyber security", "critical infrastructure protection", "cyber incidents", "national cyber strategies" } },
	{ "democratization", { "democratic institutions", "parliamentary oversight", "civil society organizations", "legislative drafting" } },
	{ "economic-activities", { "economic connectivity", "trade facilitation", "anti-money laundering", "the business environment" } },
	{ "education", { "inclusive education", "teachers and school directors", "higher education", "vocational training" } },
	{ "elections", { "the election observation mission", "the parliamentary elections", "voter lists", "the electoral code" } },
	{ "environmental-activities", { "climate change", "water management", "hazardous waste", "disaster risk reduction" } },
	{ "gender-equality", { "gender equality", "women's participation", "gender-based violence", "women, peace and security" } },
	{ "good-governance", { "the fight against corruption", "public procurement", "asset declarations", "integrity in public administration" } },
	{ "human-rights", { "human rights defenders", "the prevention of torture", "freedom of peaceful assembly", "fundamental freedoms" } },
	{ "media-freedom-and-development", { "the safety of journalists", "media freedom", "media literacy", "public service media" } },
	{ "migration", { "labour migration", "migrants and refugees", "the integration of migrants", "migration governance" } },
	{ "national-minority-issues", { "national minorities", "minority languages", "inter-ethnic relations", "the integration of diverse societies" } },
	{ "policing", { "community policing", "police reform", "criminal investigations", "the fight against organized crime" } },
	{ "reform-and-co-operation-in-the-security-sector", { "security sector reform", "the oversight of security services", "private security companies", "parliamentary oversight of the armed forces" } },
	{ "roma-and-sinti", { "Roma and Sinti", "Roma communities", "Roma mediators", "the inclusion of Roma" } },
	{ "rule-of-law", { "judicial independence", "judges and prosecutors", "fair trial rights", "trial monitoring" } },
	{ "tolerance-and-non-discrimination", { "hate crime", "intolerance and discrimination", "hate speech", "equality bodies" } },
	{ "youth", { "youth participation", "young people", "young leaders", "youth workers" } },
};

static const char *const orgs[] = {
	"ODCE Mission to Veradia", "ODCE Programme Office in Kestrava", "ODCE Office in Dunholm",
	"ODCE Presence in Marvania", "ODCE Project Co-ordinator in Tessaly", "ODCE Secretariat",
	"Office for Democratic Institutions", "ODCE Representative on Freedom of the Media",
	"ODCE Mission to Skelland", "ODCE Centre in Ostravar", "ODCE Chairpersonship",
	"Parliamentary Assembly",
};
static const char *const countries[] = {
	"Veradia", "Kestrava", "Dunholm", "Marvania", "Tessaly", "Skelland", "Ostravar",
	"Lindoria", "Brannock", "Celestria", "Harrowmere", "Valdonia",
};
static const char *const cities[] = {
	"Kerrin", "Pol Avesta", "Mirograd", "Sarnholm", "Eldvik", "Tovar", "Lesno Brdo",
	"Zhavarai", "Castellune", "Ruvenkai", "Amberfeld", "Port Halcyon", "Drevo",
};
/* with diacritics, and folded to ASCII */
static const char *const people[][2] = {
	{ "Milena Vuković", "Milena Vukovic" }, { "Anžela Petrauskė", "Anzela Petrauske" },
	{ "Jörg Halvardsen", "Jorg Halvardsen" }, { "Zeynep Çelikkan", "Zeynep Celikkan" },
	{ "Łukasz Brzezicki", "Lukasz Brzezicki" }, { "Tomáš Dvořánek", "Tomas Dvoranek" },
	{ "Ingrid Sørvik", "Ingrid Sorvik" }, { "Daniel Okafor", "Daniel Okafor" },
	{ "Sarah Whitlock", "Sarah Whitlock" }, { "Élodie Marchand", "Elodie Marchand" },
	{ "Arben Kastrati", "Arben Kastrati" }, { "Ivo Šimunić", "Ivo Simunic" },
};
static const char *const events[] = {
	"workshop", "training course", "conference", "round table", "study visit",
	"expert meeting", "regional seminar", "public discussion", "simulation exercise",
};
static const char *const verbs[] = {
	"hosts", "supports", "organizes", "concludes", "opens", "holds", "launches",
};
static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December",
};

/*
 * Sentences. Slots: {o} an organization, {c} a country, {C} a city, {p} a
 * person, {n} a number, {d} a date, {y} a year, {e} an event, {t} a topic
 * of one of the release's fields, {"} and {/} open and close quotes, {'}
 * an apostrophe, {-} a dash, {&} an ampersand.
 */
static const char *const sentences[] = {
	"The {o} held a {e} on {t} in {C} on {d}, bringing together {n} participants from {c} and {c}.",
	"{\"}Progress on {t} depends on sustained political will and on the people who carry it out,{/} said {p}, Head of the {o}.",
	"Participants discussed {t} and {t}, and agreed on a set of recommendations for the authorities of {c}.",
	"The event was organized in co-operation with the Ministry of Interior {&} Public Administration and the {C} City Council.",
	"Since {y}, the {o} has trained more than {n} officials and experts in {t}.",
	"The project is funded by the governments of {c} and {c}, and runs until the end of {y}.",
	"It is part of the {o}{'}s long-term support to {t} {-} an area where, the participants agreed, much remains to be done.",
	"{p}, who opened the {e}, underlined the importance of {t} for the whole region and thanked the hosts in {C}.",
	"The {e} will continue in {C} next month, with a focus on {t} and on the lessons learned so far.",
	"According to the final report, {n} recommendations on {t} were addressed to the authorities, {n} of which have been implemented.",
	"Representatives of civil society, academia and the media took part in the discussions, as did {n} young professionals, women and men.",
	"The {o} stands ready to continue its support to {c} in the area of {t}, {p} added.",
	"The two-day {e} also included practical exercises, a study visit to {C} and a session on {t}.",
	"{\"}We have seen what works and what does not,{/} said {p}. {\"}Now it is time to act on {t}.{/}",
	"Further events on {t} are planned in {C} and {C} later this year, in co-operation with partners from {c}.",
	"The {o}{'}s work on {t} is part of a wider programme agreed with the host country in {y}.",
};

static const char *const boilerplate[] = {
	"For further information, please contact the Press {&} Public Information Section of the {o}.",
	"Media enquiries: press office of the {o}, telephone +43 1 514 36 6000.",
	"Follow the {o} on social media for updates on its work.",
	"This press release is also available in the languages of the host country.",
	"The {o} works with the authorities and civil society on {t}; its mandate is set by the Permanent Council.",
};

struct rel_gen {
	struct rng	 r;
	int		 typo;
	size_t		 fields[MAX_FIELDS];
	size_t		 nfields;
	double		 scores[MAX_FIELDS];
	int		 sources[MAX_SOURCES];
	size_t		 nsources;
	struct sb	 title, html, text, summary, link, canon, categories, author;
	struct sb	 para_html, para_text;
	uint64_t	 phash[MAX_PARAS];
	size_t		 nph;
	int64_t		 published, updated, first_seen;
	const char	*org;
};

/* The taxonomy's fields and the configured sources, with weights. */

/* ---- the generator: what releases are made of ---- */

static const struct tagger *tagger;
static size_t nfields;
static const char **field_slugs;
static const char **field_names;
static double *field_cum;
static const struct conf *conf;
static double *source_cum;

static size_t
weighted(struct rng *r, const double *cum, size_t n)
{
	double u = unit(r) * cum[n - 1];
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cum[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *
topic_of(struct rel_gen *g, size_t field)
{
	const char *slug = field_slugs[field];

	for (size_t i = 0; i < sizeof(topics) / sizeof(*topics); i++)
		if (strcmp(topics[i].slug, slug) == 0)
			return PICK(&g->r, topics[i].phrases);
	return field_names[field];
}

/* Add text to the HTML (escaped) and to the plain text. */
static void
both(struct rel_gen *g, const char *html, const char *text)
{
	sb_str(&g->para_html, html);
	sb_str(&g->para_text, text ? text : html);
}

static void
plain(struct rel_gen *g, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '&')
			both(g, "&amp;", "&");
		else if (*p == '<')
			both(g, "&lt;", "<");
		else if (*p == '>')
			both(g, "&gt;", ">");
		else {
			size_t n = strcspn(p, "&<>");

			sb_add(&g->para_html, p, n);
			sb_add(&g->para_text, p, n);
			p += n - 1;
		}
	}
}

static void
expand(struct rel_gen *g, const char *tpl)
{
	char num[32];

	for (const char *p = tpl; *p != '\0'; p++) {
		const char *close;

		if (*p != '{' || (close = strchr(p, '}')) == NULL || close - p != 2) {
			size_t n = strcspn(p + 1, "{");

			sb_add(&g->para_html, p, n + 1);
			sb_add(&g->para_text, p, n + 1);
			p += n;
			continue;
		}
		switch (p[1]) {
		case 'o': plain(g, g->org); break;
		case 'c': plain(g, PICK(&g->r, countries)); break;
		case 'C': plain(g, PICK(&g->r, cities)); break;
		case 'p': plain(g, people[below(&g->r, sizeof(people) / sizeof(*people))][!g->typo]); break;
		case 'n': snprintf(num, sizeof(num), "%u", 12 + below(&g->r, 470)); plain(g, num); break;
		case 'y': snprintf(num, sizeof(num), "%u", 2016 + below(&g->r, 9)); plain(g, num); break;
		case 'd': snprintf(num, sizeof(num), "%u %s", 1 + below(&g->r, 28),
			      months[below(&g->r, 12)]); plain(g, num); break;
		case 'e': plain(g, PICK(&g->r, events)); break;
		case 't': plain(g, topic_of(g, g->fields[below(&g->r, (unsigned)g->nfields)])); break;
		case '"': both(g, g->typo ? "\xe2\x80\x9c" : "\"", NULL); break;
		case '/': both(g, g->typo ? "\xe2\x80\x9d" : "\"", NULL); break;
		case '\'': both(g, g->typo ? "\xe2\x80\x99" : "'", NULL); break;
		case '-': both(g, g->typo ? "\xe2\x80\x93" : "-", NULL); break;
		case '&': both(g, "&amp;", "&"); break;
		default: die("bad slot {%c}", p[1]);
		}
		p = close;
	}
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* End a paragraph: into the body, the text and the index. */
static void
end_para(struct rel_gen *g)
{
	sb_str(&g->html, "<p>");
	sb_add(&g->html, g->para_html.p, g->para_html.len);
	sb_str(&g->html, "</p>");
	if (g->text.len)
		sb_str(&g->text, "\n\n");
	sb_add(&g->text, g->para_text.p, g->para_text.len);
	if (g->summary.len == 0) {
		size_t len = g->para_text.len;

		if (len > 600) {
			len = 600;
			while (len > 300 && g->para_text.p[len] != ' ')
				len--;
			sb_add(&g->summary, g->para_text.p, len);
			sb_str(&g->summary, " \xe2\x80\xa6");
		} else
			sb_add(&g->summary, g->para_text.p, len);
	}
	if (g->nph < MAX_PARAS)
		g->phash[g->nph++] = fnv1a(g->para_text.p, g->para_text.len);
	sb_reset(&g->para_html);
	sb_reset(&g->para_text);
}

static void
slugify(struct sb *b, const char *s, size_t max)
{
	size_t start = b->len;
	int dash = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && b->len - start < max; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
			char c = (char)*p;

			if (dash && b->len > start)
				sb_add(b, "-", 1);
			sb_add(b, &c, 1);
			dash = 0;
		} else if (*p >= 'A' && *p <= 'Z') {
			char c = (char)(*p - 'A' + 'a');

			if (dash && b->len > start)
				sb_add(b, "-", 1);
			sb_add(b, &c, 1);
			dash = 0;
		} else
			dash = 1;
	}
}
