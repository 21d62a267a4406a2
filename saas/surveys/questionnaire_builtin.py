"""The product's own psychosocial questionnaire, in the import format (questionnaire_format.py).

Pure data, standard library only. Written for this product in its own words; it is not COPSOQ or
any other validated instrument and must not be presented as one. It covers the four factors of
arbeidsmiljøloven § 4-3 (in force 1 Jan 2026) and the usual psychosocial dimensions.

Item keys are stored with answers: never rename or reuse one. Change wording by publishing a new
`version`. `BUILTIN_QUESTIONNAIRE` is shared module state: deep-copy it before editing.
"""

BUILTIN_KEY = "hms-psykososial-2026"
BUILTIN_VERSION = "2026.1"

# Option order matters: position 0 scores 100 and position 4 scores 0 (unless reversed).
_SCALES = {
    "frequency": (
        ("Alltid", "Always"),
        ("Ofte", "Often"),
        ("Av og til", "Sometimes"),
        ("Sjelden", "Seldom"),
        ("Aldri eller nesten aldri", "Never or hardly ever"),
    ),
    "extent": (
        ("I svært stor grad", "To a very large extent"),
        ("I stor grad", "To a large extent"),
        ("I noen grad", "Somewhat"),
        ("I liten grad", "To a small extent"),
        ("I svært liten grad", "To a very small extent"),
    ),
    # Exposure: "Nei" last so that it scores 0 and any exposure scores 25 or more.
    "exposure": (
        ("Ja, daglig", "Yes, daily"),
        ("Ja, ukentlig", "Yes, weekly"),
        ("Ja, månedlig", "Yes, monthly"),
        ("Ja, noen få ganger", "Yes, a few times"),
        ("Nei", "No"),
    ),
}

# key, name_nb, name_en, direction, § 4-3 factor (or None), prevalence
_DIMENSIONS = (
    ("demands", "Arbeidsmengde og tidspress", "Workload and time pressure",
     "high_is_bad", "workload", False),
    ("role_conflict", "Uklare og motstridende krav", "Unclear and conflicting demands",
     "high_is_bad", "unclear_demands", False),
    ("role_clarity", "Rolleklarhet", "Role clarity",
     "high_is_good", "unclear_demands", False),
    ("emotional", "Emosjonelle krav", "Emotional demands",
     "high_is_bad", "emotional_demands", False),
    ("influence", "Kontroll og innflytelse", "Control and influence",
     "high_is_good", None, False),
    ("leader_support", "Støtte fra nærmeste leder", "Support from your manager",
     "high_is_good", "support", False),
    ("colleague_support", "Støtte fra kolleger", "Support from colleagues",
     "high_is_good", "support", False),
    ("leadership", "Ledelseskvalitet", "Quality of leadership",
     "high_is_good", None, False),
    ("recognition", "Anerkjennelse", "Recognition",
     "high_is_good", None, False),
    ("meaning", "Mening i arbeidet", "Meaning of work",
     "high_is_good", None, False),
    ("bullying", "Mobbing, trakassering og vold", "Bullying, harassment and violence",
     "high_is_bad", None, True),
)

_SIX_MONTHS_NB = "Har du i løpet av de siste 6 månedene blitt utsatt for"
_SIX_MONTHS_EN = "In the last 6 months, have you been subjected to"

# key, dimension, scale, reversed, text_nb, text_en
_ITEMS = (
    # Workload and time pressure (§ 4-3: workload out of balance with the time available)
    ("dem_1", "demands", "frequency", False,
     "Hvor ofte har du mer å gjøre enn du rekker i løpet av arbeidstiden?",
     "How often do you have more to do than you can get done during working hours?"),
    ("dem_2", "demands", "frequency", False,
     "Hvor ofte må du jobbe i høyt tempo for å bli ferdig med oppgavene dine?",
     "How often do you have to work at a high pace to finish your tasks?"),
    ("dem_3", "demands", "frequency", False,
     "Hvor ofte må du jobbe utover avtalt arbeidstid for å holde tritt?",
     "How often do you have to work beyond your agreed hours to keep up?"),
    ("dem_4", "demands", "frequency", True,
     "Hvor ofte har du nok tid til å gjøre arbeidsoppgavene dine skikkelig?",
     "How often do you have enough time to do your tasks properly?"),
    ("dem_5", "demands", "frequency", False,
     "Hvor ofte blir oppgaver liggende fordi det ikke er tid til dem?",
     "How often are tasks left undone because there is no time for them?"),
    # Unclear and conflicting demands (§ 4-3)
    ("con_1", "role_conflict", "frequency", False,
     "Hvor ofte får du krav eller forventninger fra ulike personer som er vanskelige å forene?",
     "How often do you get demands or expectations from different people that are hard to "
     "reconcile?"),
    ("con_2", "role_conflict", "frequency", False,
     "Hvor ofte må du gjøre ting på en måte du mener er feil?",
     "How often do you have to do things in a way you think is wrong?"),
    ("con_3", "role_conflict", "frequency", False,
     "Hvor ofte endres prioriteringene dine uten at du får vite hvorfor?",
     "How often do your priorities change without you being told why?"),
    ("con_4", "role_conflict", "frequency", False,
     "Hvor ofte er det uklart hva som er viktigst når flere oppgaver konkurrerer om tiden din?",
     "How often is it unclear what matters most when several tasks compete for your time?"),
    # Role clarity (§ 4-3: unclear demands and expectations)
    ("cla_1", "role_clarity", "extent", False,
     "I hvilken grad vet du hva som forventes av deg i jobben?",
     "To what extent do you know what is expected of you at work?"),
    ("cla_2", "role_clarity", "extent", False,
     "I hvilken grad er det klart hvilke oppgaver som er ditt ansvar?",
     "To what extent is it clear which tasks are your responsibility?"),
    ("cla_3", "role_clarity", "extent", True,
     "I hvilken grad er målene for arbeidet ditt uklare?",
     "To what extent are the goals of your work unclear?"),
    # Emotional demands in work with people (§ 4-3)
    ("emo_1", "emotional", "frequency", False,
     "Hvor ofte møter du i jobben mennesker i en vanskelig situasjon, for eksempel syke, sinte, "
     "sårbare eller personer i sorg?",
     "How often does your work bring you into contact with people in a difficult situation, "
     "for example ill, angry, vulnerable or grieving people?"),
    ("emo_2", "emotional", "frequency", False,
     "Hvor ofte må du holde tilbake egne følelser i møte med kunder, brukere, pasienter eller "
     "elever?",
     "How often do you have to hold back your own feelings when dealing with customers, clients, "
     "patients or pupils?"),
    ("emo_3", "emotional", "frequency", False,
     "Hvor ofte blir du følelsesmessig sliten av arbeidet med andre mennesker?",
     "How often does working with other people leave you emotionally drained?"),
    ("emo_4", "emotional", "frequency", False,
     "Hvor ofte tar du med deg tanker om vanskelige situasjoner fra jobben hjem?",
     "How often do you take thoughts about difficult situations at work home with you?"),
    # Control and influence
    ("inf_1", "influence", "extent", False,
     "I hvilken grad kan du påvirke hvordan du gjør arbeidet ditt?",
     "To what extent can you decide how you do your work?"),
    ("inf_2", "influence", "extent", False,
     "I hvilken grad kan du selv bestemme arbeidstempoet ditt?",
     "To what extent can you set your own pace of work?"),
    ("inf_3", "influence", "extent", False,
     "I hvilken grad har du innflytelse på beslutninger som angår arbeidet ditt?",
     "To what extent do you have a say in decisions that affect your work?"),
    ("inf_4", "influence", "extent", False,
     "I hvilken grad kan du ta en pause når du trenger det?",
     "To what extent can you take a break when you need one?"),
    # Support from the immediate manager (§ 4-3: support and help at work)
    ("lsu_1", "leader_support", "frequency", False,
     "Hvor ofte får du hjelp og støtte fra nærmeste leder når du trenger det?",
     "How often do you get help and support from your immediate manager when you need it?"),
    ("lsu_2", "leader_support", "frequency", False,
     "Hvor ofte er nærmeste leder villig til å lytte når du har problemer i arbeidet?",
     "How often is your immediate manager willing to listen when you have problems at work?"),
    ("lsu_3", "leader_support", "frequency", False,
     "Hvor ofte følger nærmeste leder opp problemer du sier ifra om?",
     "How often does your immediate manager follow up problems you raise?"),
    ("lsu_4", "leader_support", "frequency", True,
     "Hvor ofte er nærmeste leder vanskelig å få tak i når du trenger en avklaring?",
     "How often is your immediate manager hard to reach when you need something settled?"),
    # Support from colleagues (§ 4-3: support and help at work)
    ("csu_1", "colleague_support", "frequency", False,
     "Hvor ofte får du hjelp og støtte fra kollegene dine når du trenger det?",
     "How often do you get help and support from your colleagues when you need it?"),
    ("csu_2", "colleague_support", "frequency", False,
     "Hvor ofte er kollegene dine villige til å lytte når du har problemer i arbeidet?",
     "How often are your colleagues willing to listen when you have problems at work?"),
    ("csu_3", "colleague_support", "frequency", False,
     "Hvor ofte opplever du godt samarbeid med kollegene dine?",
     "How often do you experience good cooperation with your colleagues?"),
    # Quality of leadership
    ("lea_1", "leadership", "extent", False,
     "I hvilken grad sørger nærmeste leder for at arbeidet er godt planlagt?",
     "To what extent does your immediate manager make sure the work is well planned?"),
    ("lea_2", "leadership", "extent", False,
     "I hvilken grad behandler nærmeste leder alle ansatte rettferdig?",
     "To what extent does your immediate manager treat all employees fairly?"),
    ("lea_3", "leadership", "extent", False,
     "I hvilken grad får du i god tid vite om beslutninger og endringer som angår deg?",
     "To what extent are you told in good time about decisions and changes that affect you?"),
    ("lea_4", "leadership", "extent", False,
     "I hvilken grad tar ledelsen arbeidsmiljøet på alvor?",
     "To what extent does management take the working environment seriously?"),
    # Recognition
    ("rec_1", "recognition", "extent", False,
     "I hvilken grad blir arbeidet ditt verdsatt av ledelsen?",
     "To what extent is your work valued by management?"),
    ("rec_2", "recognition", "extent", False,
     "I hvilken grad får du høre det når du har gjort en god jobb?",
     "To what extent are you told when you have done a good job?"),
    ("rec_3", "recognition", "extent", False,
     "I hvilken grad blir du behandlet med respekt på arbeidsplassen?",
     "To what extent are you treated with respect at your workplace?"),
    # Meaning of work
    ("mea_1", "meaning", "extent", False,
     "I hvilken grad opplever du arbeidet ditt som meningsfullt?",
     "To what extent do you find your work meaningful?"),
    ("mea_2", "meaning", "extent", False,
     "I hvilken grad føler du at det du gjør i jobben, er viktig?",
     "To what extent do you feel that what you do at work matters?"),
    ("mea_3", "meaning", "extent", False,
     "I hvilken grad får du brukt kunnskapene og ferdighetene dine i jobben?",
     "To what extent do you get to use your knowledge and skills at work?"),
    # Bullying, harassment and violence: prevalence, any exposure counts
    ("bul_1", "bullying", "exposure", False,
     f"{_SIX_MONTHS_NB} mobbing på arbeidsplassen? Med mobbing menes at noen gjentatte ganger og "
     "over tid blir utsatt for negative handlinger fra en eller flere, og har vanskelig for å "
     "forsvare seg.",
     f"{_SIX_MONTHS_EN} bullying at work? Bullying means that someone is repeatedly and over time "
     "subjected to negative acts from one or more people and finds it hard to defend themselves."),
    ("bul_2", "bullying", "exposure", False,
     f"{_SIX_MONTHS_NB} seksuell trakassering på arbeidsplassen?",
     f"{_SIX_MONTHS_EN} sexual harassment at work?"),
    ("bul_3", "bullying", "exposure", False,
     f"{_SIX_MONTHS_NB} trakassering på grunn av kjønn, etnisitet, religion, funksjonsnedsettelse, "
     "alder eller seksuell orientering?",
     f"{_SIX_MONTHS_EN} harassment because of gender, ethnicity, religion, disability, age or "
     "sexual orientation?"),
    ("bul_4", "bullying", "exposure", False,
     f"{_SIX_MONTHS_NB} utestenging, for eksempel ved å bli holdt utenfor eller oversett av "
     "kolleger eller ledere?",
     f"{_SIX_MONTHS_EN} exclusion, for example being left out or ignored by colleagues or "
     "managers?"),
    ("bul_5", "bullying", "exposure", False,
     f"{_SIX_MONTHS_NB} vold eller trusler om vold i jobben?",
     f"{_SIX_MONTHS_EN} violence or threats of violence at work?"),
)

BUILTIN_QUESTIONNAIRE = {
    "key": BUILTIN_KEY,
    "version": BUILTIN_VERSION,
    "title": {
        "nb": "Kartlegging av psykososialt arbeidsmiljø",
        "en": "Psychosocial work environment survey",
    },
    "source": "Produktets eget spørreskjema (ikke et validert instrument).",
    "free_text": False,
    "scales": [
        {"key": key, "options": [{"nb": nb, "en": en} for nb, en in options]}
        for key, options in _SCALES.items()
    ],
    "dimensions": [
        {
            "key": key,
            "name": {"nb": name_nb, "en": name_en},
            "direction": direction,
            "factor_4_3": factor,
            "prevalence": prevalence,
        }
        for key, name_nb, name_en, direction, factor, prevalence in _DIMENSIONS
    ],
    "items": [
        {
            "key": key,
            "dimension": dimension,
            "text": {"nb": text_nb, "en": text_en},
            "scale": scale,
            "reversed": reversed_,
        }
        for key, dimension, scale, reversed_, text_nb, text_en in _ITEMS
    ],
}
