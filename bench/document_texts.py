"""The known text of the measured documents (`bench.documents`): short news articles written for
this benchmark, plain ASCII so that the PDF core fonts can set every character."""

from __future__ import annotations

FERRY = [
    "The harbour council on Tuesday approved a winter timetable that keeps the night ferry to the "
    "outer islands running until the end of March, ending a dispute that had gone on since the summer.",
    "Under the plan, the last boat will leave the city quay at 23:40 on weekdays and at 01:10 on "
    "Saturdays. Island residents had warned that cutting the late crossing would leave hospital "
    "workers and students with no way home after evening shifts and classes.",
    "Councillor Ingrid Salo, who chairs the transport committee, said the decision would cost the "
    "city about 1.8 million euros over the season. She told the meeting that the money would come "
    "from the parking fund rather than from higher fares.",
    "The ferry operator, Skerry Lines, said it would hire eleven seasonal crew members and return "
    "its older vessel, the Aurora, to service while the newer boat is refitted in January.",
    "Opposition members voted against the timetable, arguing that the council had not studied how "
    "many people actually use the night crossing. A passenger count is due to be published in "
    "April, after the winter season has ended.",
    "The islands have about 4,200 permanent residents, and their number roughly doubles in summer "
    "when holiday homes fill up.",
]

DROUGHT = [
    "Farmers across the southern plain are rethinking what to plant this spring after the driest "
    "winter in sixty years left reservoirs at less than a third of their usual level.",
    "The regional water board said on Monday that irrigation quotas would be cut by 40 percent "
    "from April, and that growers of thirsty crops such as maize and rice should expect the "
    "largest reductions.",
    "Several cooperatives have already told members to switch part of their land to sorghum, "
    "chickpeas and durum wheat, which need far less water. Seed merchants report that orders for "
    "drought-tolerant varieties have tripled since January.",
    "Marta Pellegrini, who farms 90 hectares near the river delta, said she would leave a quarter "
    "of her fields fallow for the first time since she took over the farm from her father. The "
    "cost of pumping groundwater had become impossible to cover at current grain prices, she said.",
    "Agronomists at the state university warned that fallow land without cover crops loses topsoil "
    "quickly in spring winds, and advised farmers to sow clover or vetch even where no harvest is "
    "planned.",
    "The agriculture ministry has promised compensation of up to 300 euros a hectare for land "
    "left unplanted, but farm unions say the money will arrive too late for many families who "
    "must pay for seed and fuel in the coming weeks.",
    "Meteorologists expect some relief from spring storms, but said even a wet April would not "
    "refill the reservoirs before the summer. The last comparable drought, in 1964, lasted two "
    "full years and led to the construction of the canal that now feeds most of the plain.",
    "The water board will review the quotas at the end of May, when the snowmelt from the "
    "northern mountains has been measured.",
]

RAIL_BEFORE = [
    "The regional rail operator published a new timetable on Friday after a two-week strike by "
    "signal workers ended with a pay agreement late on Thursday night.",
    "Services on the coastal line will return to their normal frequency from Monday, but the "
    "operator warned that trains on the valley line would run less often until the end of the "
    "month while maintenance delayed by the strike is carried out.",
]
RAIL_TABLE = [
    ["Line", "Weekday trains", "Weekend trains", "First departure"],
    ["Coastal", "64", "40", "05:12"],
    ["Valley", "28", "16", "06:05"],
    ["Airport", "52", "52", "04:45"],
    ["Northern loop", "18", "10", "06:30"],
]
RAIL_AFTER = [
    "The agreement raises signal workers' pay by 6.5 percent over two years and adds a night "
    "shift allowance. The union said its members had accepted it by a large majority.",
    "Passengers who bought season tickets will receive a refund for the strike days, the operator "
    "said, and claims can be made at any station ticket office until the end of next month.",
]

TREES = [
    "Streets lined with mature trees were on average four degrees cooler on summer afternoons than "
    "streets without them, according to a study of the city published on Wednesday.",
    "Researchers placed 120 temperature sensors across eleven neighbourhoods and recorded readings "
    "every ten minutes from June to August. The largest difference, 6.1 degrees, was measured in "
    "a narrow street of the old town shaded by plane trees.",
    "The effect was weakest in wide avenues where young trees had been planted in the last decade, "
    "the authors found. They recommend that the city protect existing trees during road works and "
    "plant species that grow a broad crown within a few years.",
    "The parks department said it would use the results to decide where to plant 3,000 new trees "
    "promised in the climate plan, starting with the districts that recorded the highest "
    "night-time temperatures.",
]
TREES_NOTES = [
    "Sensors were mounted 2.5 metres above the pavement and shielded from direct sun.",
    "Readings from days with rain were left out of the averages.",
    "The climate plan was adopted by the city council in 2023.",
]
# Where each footnote's marker follows in the body: (paragraph, the word it follows).
TREES_MARKERS = [(1, "sensors"), (1, "August."), (3, "plan,")]

MUSEUM = [
    "The city museum reopened its east wing on Saturday after a two-year restoration that "
    "replaced the roof, the heating and every window of the nineteenth-century building.",
    "More than 3,000 visitors queued in the rain on the first morning, and the museum extended "
    "its opening hours until nine in the evening to let everyone in.",
    "The restoration cost 12 million euros, of which the national heritage fund paid half. The "
    "rest came from the city and from a public appeal that raised 900,000 euros from almost "
    "eleven thousand donors.",
    "Director Helena Varga said the work had uncovered painted ceilings that had been hidden "
    "under plaster since a fire in 1911. Two of them have been restored and can now be seen in "
    "the gallery of maritime paintings on the first floor.",
    "The wing's reopening brings back into view the museum's collection of ship models, which "
    "had been in storage since the building closed. The largest, a model of the four-masted "
    "barque Pamir, took two conservators six months to clean and repair.",
    "Entry to the east wing will be free for residents until the end of March. Guided tours in "
    "English and Finnish start every hour from the main entrance, and a new lift makes both "
    "floors accessible to wheelchair users for the first time.",
    "The museum's west wing, which houses the archaeology collection, will close in May for a "
    "similar restoration expected to last eighteen months.",
    "Varga said the museum hoped to raise the remaining funds for that work through another "
    "appeal, and thanked the donors who had made the east wing possible.",
]

STORAGE = [
    "Parliament began debating on Thursday a government plan to build large-scale energy storage "
    "capable of supplying the country's electricity demand for twelve hours during windless "
    "winter evenings.",
    "The proposal combines pumped hydroelectric reservoirs in the northern mountains with battery "
    "installations next to the existing transmission substations. Together they would provide "
    "about 9 gigawatts of capacity by 2032, according to the energy ministry.",
    "Supporters argue that without storage the country will keep importing electricity at "
    "extraordinarily high prices whenever the wind drops. Last January, wholesale prices reached "
    "their highest level since the market was liberalised, and neighbouring countries were "
    "themselves short of generating capacity.",
    "Critics in the opposition questioned the environmental consequences of flooding two "
    "mountain valleys for the reservoirs, and asked why the government had not considered "
    "demand management and interconnection with the continental grid more thoroughly.",
    "The minister responsible, Tomas Lindqvist, told parliament that interconnection alone could "
    "not guarantee supply, because cold and windless weather usually affects the whole region "
    "simultaneously. He said the environmental assessment of both reservoirs would be published "
    "before any construction permit is granted.",
    "Representatives of the municipalities concerned said they wanted guarantees about "
    "compensation, employment during construction and the maintenance of roads used by "
    "heavy vehicles. Several landowners have already announced that they will challenge "
    "compulsory purchases in court.",
    "Independent analysts estimate that the programme will cost between 14 and 19 billion euros, "
    "most of it financed by the state-owned transmission company. The government expects "
    "electricity consumers to pay part of the cost through network tariffs over thirty years.",
    "A final vote on the plan is expected before the summer recess. The parliamentary committee "
    "on industry and energy will hear experts and representatives of the affected regions in "
    "three public sessions during the coming month.",
]

SCHOOL_INTRO = (
    "The school board on Monday set out the timetable for the autumn term, which will start a "
    "week later than usual because renovation of the main building is running behind schedule.")
SCHOOL_DATES_HEADING = "Key dates"
SCHOOL_DATES = ["Teachers return on 19 August", "Classes begin on 26 August",
                "Autumn holiday from 21 to 25 October", "Term ends on 20 December"]
SCHOOL_CHANGES_HEADING = "What changes for families"
SCHOOL_CHANGES = [
    "Pupils in the first three years will be taught in the temporary pavilions on the sports "
    "ground until the renovation is finished, probably in November.",
    "School buses will leave ten minutes earlier in the morning because the usual stop in front "
    "of the main building is closed.",
]
SCHOOL_STEPS = ["Register for the bus service by 1 August", "Collect the new timetable from the office",
                "Tell the school about any allergies before the first day"]
SCHOOL_TABLE_HEADING = "Lunch times"
SCHOOL_TABLE = [["Year", "Lunch", "Building"], ["1 to 3", "11:15", "Pavilions"],
                ["4 to 6", "11:45", "Canteen"], ["7 to 9", "12:15", "Canteen"]]
SCHOOL_OUTRO = ("The board apologised for the delay and said the contractor had been fined for "
                "missing the original deadline of 1 July.")

MARKET = [
    "The city council voted on Tuesday to close the old market square to cars from the first of "
    "June, ending a debate that has divided shopkeepers and residents for almost ten years.",
    "Deliveries will still be allowed before eleven in the morning, and residents with a parking "
    "space in the courtyards around the square will receive a permit to reach it.",
    "The plan passed by 31 votes to 18. Members of the opposition argued that the closure would "
    "push traffic into the narrow streets north of the cathedral, where a school and a care home "
    "already suffer from noise and fumes.",
    "Traders were split. The owner of a bakery on the square, Paolo Ferri, said that most of his "
    "customers came on foot and that the change would make the terraces more pleasant. A furniture "
    "shop at the corner warned that it could not survive without parking in front of its door.",
    "The council will spend 2.6 million euros on new paving, benches and trees. Work starts in "
    "April and is planned to finish in time for the summer festival in July.",
    "A bus route that crosses the square will be moved to the ring road, adding about three "
    "minutes to journeys between the station and the hospital, according to the transport "
    "company.",
    "The mayor said the council would count pedestrians and cyclists before and after the "
    "closure, and publish the figures at the end of the year.",
]

# The feature page: written after the loader was tuned on the documents above (see
# bench.documents.feature_page for what its first run showed).
NIGHT_TRAIN_STANDFIRST = ("After a gap of eleven years, sleeper carriages will run again between the capital and "
                          "the northern coast from December.")
NIGHT_TRAIN_BYLINE = "By Anna Berg, Transport Correspondent"
NIGHT_TRAIN_CAPTION = "A refurbished sleeper carriage at the depot in Ostervik on Monday."
NIGHT_TRAIN = [
    "The national rail company confirmed on Monday that a nightly sleeper service will return to the "
    "northern line on 10 December, using carriages bought second-hand from an operator in Austria.",
    "The train will leave the capital at 21:05 and reach the coast shortly after seven the next "
    "morning, stopping at four towns on the way. Tickets go on sale next week, with a bed in a "
    "shared compartment starting at 49 euros.",
    "Why now",
    "The company stopped the previous night service in 2013, saying that cheap flights had taken "
    "most of its passengers. Since then, demand for overnight rail travel has grown steadily, and "
    "the government has promised to cover losses for the first three years.",
    "Engineers have spent eight months refitting the sixteen carriages with new heating, wider "
    "berths and sockets in every compartment. Two carriages have been adapted for wheelchair users.",
    "Not everyone is convinced. A spokesman for the northern airport said the train would take only "
    "a small share of travellers, and that the subsidy would be better spent on the daytime line.",
    "The rail company expects around 70,000 passengers a year and says it will add a second "
    "weekly service to the western coast if the first winter goes well.",
]
