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
