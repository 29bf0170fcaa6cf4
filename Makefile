# Watchfloor. `make run` starts it on the sample city; `make test` runs every test.
# Both install what a fresh Debian machine lacks (make deps).

SHELL     := /bin/bash
GO        ?= go
CONFIG    ?= config/sample/watchfloor.yaml
REDIS_DIR := var/redis
REDIS_PORT ?= 6379

.PHONY: all deps build basemap run test race lint screenshots vet fmt-check fuzz bench clean redis bench-grade bench-geo bench-create bench-batch bench-osmand bench-frame bench-candidates bench-dispatch bench-analysis bench-places bench-wall bench-pages bench-tasks bench-reads bench-seqs bench-load bench-compare bench-cores bench-overload

all: build

## deps: install what is missing (as root, with apt-get): Debian's redis-server, and Chromium's
## headless shell with a CJK font for the browser tests (the shell, without the full browser's
## layers, takes half the CPU: the acceptance package ran in 332 s with it, 491 s with chromium;
## a full chromium already installed is used when the shell is not).
deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium-headless-shell >/dev/null || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  missing="$$missing chromium-headless-shell"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing:$$missing; install with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

build:
	$(GO) build -o bin/watchfloor ./cmd/watchfloor
	$(GO) build -o bin/wfsim ./cmd/wfsim

## redis: make sure a Redis with AOF answers on 127.0.0.1:$(REDIS_PORT), starting one under ./var/redis if nothing listens there.
redis: deps
	@if redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1; then \
	  echo "using the Redis already answering on 127.0.0.1:$(REDIS_PORT)"; \
	else \
	  mkdir -p $(REDIS_DIR); \
	  redis-server --bind 127.0.0.1 --port $(REDIS_PORT) --dir $(CURDIR)/$(REDIS_DIR) \
	    --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 1gb --maxmemory-policy noeviction \
	    --daemonize yes --pidfile $(CURDIR)/$(REDIS_DIR)/redis.pid --logfile $(CURDIR)/$(REDIS_DIR)/redis.log; \
	  for i in $$(seq 50); do redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	  echo "started Redis (AOF) on 127.0.0.1:$(REDIS_PORT), data in $(REDIS_DIR)"; \
	fi

# The demo accounts' password for `make run` (loopback only); set your own to override.
WATCHFLOOR_DEMO_PASSWORD ?= watchfloor
export WATCHFLOOR_DEMO_PASSWORD
# SIM=0 runs Watchfloor without the simulator that moves the sample units.
SIM ?= 1

## basemap: the sample city's schematic base map, var/basemap.pmtiles (no network needed).
BASEMAP_LAYERS := $(wildcard config/sample/basemap/*.geojson)
basemap: var/basemap.pmtiles
var/basemap.pmtiles: $(BASEMAP_LAYERS) build
	./bin/watchfloor tiles --out $@ --min-zoom 10 --max-zoom 17 --name "Watchfloor sample city (schematic)" \
	  --attribution "示意底图（非真实街道）" \
	  roads=config/sample/basemap/roads.geojson buildings=config/sample/basemap/buildings.geojson \
	  water=config/sample/basemap/water.geojson pois=config/sample/basemap/landmarks.geojson

## run: Watchfloor on the sample city at http://127.0.0.1:8080, with the simulator.
run: redis build basemap
	@if [ "$(SIM)" = 1 ]; then \
	  (sleep 2; exec ./bin/wfsim --config $(CONFIG)) & sim=$$!; \
	  trap "kill $$sim 2>/dev/null" EXIT INT TERM; \
	  echo "demo accounts: admin, leader, deputy, operator, viewer (and one per unit), password: $$WATCHFLOOR_DEMO_PASSWORD"; \
	  ./bin/watchfloor --config $(CONFIG); \
	else \
	  ./bin/watchfloor --config $(CONFIG); \
	fi

## test: vet, staticcheck, formatting and every test against real redis-servers the tests start themselves.
## The acceptance package takes 5-6 min, and up to 3 min more when it meets midnight in the sample
## city (a test on the real clock waits for the new day): 20 min before a hang is called one.
test: deps fmt-check lint
	$(GO) test -count=1 -timeout 20m ./...

## race: every test under the race detector (too slow for make test on 2 cores).
race: deps
	$(GO) test -race -count=1 -timeout 60m ./...

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
## lint: go vet and staticcheck.
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## fuzz: run each fuzz target for FUZZTIME (default 1m), spending at most
## FUZZMINIMIZE on minimising a new input (not the run's time).
FUZZTIME ?= 1m
FUZZMINIMIZE ?= 5s
fuzz: deps
	$(GO) test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/incident
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./config
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeQuery$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/osmand
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeJSON$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/osmand
	$(GO) test -run='^$$' -fuzz='^FuzzParamsMatchParseQuery$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/osmand
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePositions$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/units
	$(GO) test -run='^$$' -fuzz='^FuzzBatchReaderMatchesStrict$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/units
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeResponderMessage$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/sockets
	$(GO) test -run='^$$' -fuzz='^FuzzParsePlaces$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./geo
	$(GO) test -run='^$$' -fuzz='^FuzzSmallWindow$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/sockets
	$(GO) test -run='^$$' -fuzz='^FuzzDeflated$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/live
	$(GO) test -run='^$$' -fuzz='^FuzzParsePolygon$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/warning
	$(GO) test -run='^$$' -fuzz='^FuzzClean$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/cleantext
	$(GO) test -run='^$$' -fuzz='^FuzzParsePeriod$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/stats
	$(GO) test -run='^$$' -fuzz='^FuzzClientIP$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/rest
	$(GO) test -run='^$$' -fuzz='^FuzzByteRange$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/geodata
	$(GO) test -run='^$$' -fuzz='^FuzzParseCSV$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/duty
	$(GO) test -run='^$$' -fuzz='^FuzzWellFormed$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/auth
	$(GO) test -run='^$$' -fuzz='^FuzzProtocolToken$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/rest
	$(GO) test -run='^$$' -fuzz='^FuzzProtocolTokenFound$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./command/web/rest

## bench: every benchmark and the load runs, each writing its own section of docs/BENCHMARKS.md.
BENCH := scripts/bench-section
bench: bench-grade bench-geo bench-create bench-batch bench-osmand bench-frame bench-candidates bench-dispatch bench-analysis bench-places bench-wall bench-pages bench-tasks bench-reads bench-seqs bench-load bench-cores bench-overload
	scripts/bench-assemble
## bench-load: cmd/wfload against a server and Redis of their own: the standard scenario and each target
## (the standard scenario's two sections three times each, scripts/load-repeat: their targets turn on one run).
bench-load: deps
	scripts/load-repeat 3 50-load-standard "Standard scenario: 2,000 responders and 50 screens connected, 5,000 positions/s, 100 incidents/s, a plan's tasks to every responder every 2 s" -duration 30s -positions 5000 -screens 50 -incidents 100 -responders 2000 -fanout-every 2s
	scripts/load-repeat 3 50b-load-standard-dialled-together "The standard scenario with every responder's socket dialled at once, as phones reconnect after a restart (their heartbeats meet)" -duration 30s -positions 5000 -screens 50 -incidents 100 -responders 2000 -fanout-every 2s -dial-together
	scripts/load-run 51-load-incidents "Incidents to 50 screens at 100/s" -duration 20s -screens 50 -incidents 100
	scripts/load-run 52-load-positions-batch "Positions through the batch API at 52,000/s offered for a minute" -duration 60s -positions 52000 -screens 1 -senders 12
	scripts/load-run 53-load-osmand "OsmAnd single-position requests at 11,000/s offered" -duration 20s -positions 11000 -mode osmand -senders 64 -screens 1
	INSTANCES=2 PAUSE="10 6" scripts/load-run 54-load-tail-lag "A lagging tail: two instances, the second stopped 6 s while 200 incidents/s go through the first, 50 screens on both" -duration 30s -screens 50 -incidents 200 -write-to 1
	scripts/redis-ceiling
	INSTANCES=1 scripts/load-run 60-instances-1 "One instance: 30,000 positions/s, 100 incidents/s, 50 screens" -duration 15s -positions 30000 -screens 50 -incidents 100 -senders 12
	INSTANCES=3 scripts/load-run 61-instances-3 "Three instances, the same load spread over them" -duration 15s -positions 30000 -screens 50 -incidents 100 -senders 12
## bench-cores: batch and OsmAnd ingest at GOMAXPROCS 1, 2, 4, ... up to the cores, each process's cores and the server's CPU per position, with redis-benchmark's GEOADD; writes docs/bench/62-cores.md.
bench-cores: deps
	scripts/bench-cores
	scripts/bench-assemble
## bench-overload: the batch API offered 100,000 to 400,000 positions/s, five runs each (ROUNDS): the median stored within 10 % of capacity, refusals and their times; writes docs/bench/63-overload.md.
bench-overload: deps
	scripts/bench-overload
	scripts/bench-assemble
## bench-compare: the Go benchmarks of BASE (a commit) and of this tree in the same run, alternating; writes docs/bench/80-before-after.md.
BASE ?= HEAD
ROUNDS ?= 3
bench-compare: deps
	ROUNDS=$(ROUNDS) scripts/bench-compare $(BASE)
	scripts/bench-assemble
bench-grade: deps
	$(BENCH) 10-grading "Grading an incident" $(GO) test -run='^$$' -bench=Grade -benchmem -count=1 ./alerts
bench-geo: deps
	$(BENCH) 11-geo "Point to grid and zones, nearest units, a position's own work, and a frame of the units moved (in memory)" $(GO) test -run='^$$' -bench='Locate|^BenchmarkPlace$$|NewMap|Nearest|^BenchmarkIngest$$|^BenchmarkFrame$$' -benchmem -count=1 ./geo ./command/unit
bench-create: deps
	$(BENCH) 20-create-to-screen "Incident creation to its event on a screen websocket (1,000 incidents, one at a time)" $(GO) test -run='^$$' -bench=CreateToScreen -benchtime=1000x -count=1 ./command/acceptance
bench-batch: deps
	$(BENCH) 30-positions-batch "Positions through the batch API (500,000 positions, 8 clients, batches of 500, 10,000 units)" $(GO) test -run='^$$' -bench=PositionsBatchAPI -benchtime=500000x -count=1 ./command/acceptance
bench-osmand: deps
	$(BENCH) 31-osmand "OsmAnd single-position requests (200,000 requests, 64 devices at once)" $(GO) test -run='^$$' -bench=OsmAndSingle -benchtime=200000x -count=1 ./command/acceptance
bench-frame: deps
	$(BENCH) 32-position-to-frame "A position's request to its frame on a screen websocket at 5,000 positions/s (60,000 positions)" $(GO) test -run='^$$' -bench=PositionToFrame -benchtime=60000x -count=1 ./command/acceptance
bench-dispatch: deps
	$(BENCH) 40-dispatch-to-responder "A dispatch request to the order on its responder's websocket, 2,000 responders connected (1,000 orders)" $(GO) test -run='^$$' -bench=DispatchToResponder -benchtime=1000x -count=1 ./command/acceptance
bench-analysis: deps
	$(BENCH) 45-analysis-year "Monthly and quarterly analysis with a year of 200,000 incidents' counters (500 requests)" $(GO) test -run='^$$' -bench=AnalysisYear -benchtime=500x -count=1 ./command/acceptance
bench-places: deps
	$(BENCH) 34-places "Gazetteer search in memory, 100,000 places, each kind of query" $(GO) test -run='^$$' -bench='PlacesSearch' -benchmem -count=1 ./geo
	$(BENCH) 35-places-http "Gazetteer search over HTTP, 100,000 places, queries as an operator types them (3,000 requests)" $(GO) test -run='^$$' -bench=PlacesHTTP -benchtime=3000x -count=1 ./command/acceptance
bench-wall: deps
	$(BENCH) 36-wall-frames "One frame of 10,000 moving units on the wall's map in headless Chromium (move, cluster or draw, paint), at city and street zoom" $(GO) test -run='^$$' -bench=WallUnitFrames -benchtime=3x -count=1 ./command/acceptance
bench-pages: deps
	$(BENCH) 37-page-modules "A page's modules in headless Chromium on an emulated mobile link (300 ms a round trip, 1.5 MB/s): when the last one has arrived, nothing cached" $(GO) test -run='^$$' -bench=PageModulesSlowLink -benchtime=3x -count=1 ./command/acceptance
bench-tasks: deps
	$(BENCH) 41-plan-tasks-store "A plan's tasks stored for 2,000 units, 50 to an atomic step: each step alone (AddTasks2000), and a whole delivery with two steps under way (DeliverTasks2000, the last unit's wait)" $(GO) test -run='^$$' -bench='AddTasks2000|DeliverTasks2000' -benchtime=10x -count=1 ./command/store
bench-reads: deps
	$(BENCH) 42-reads-at-scale "Reads with 20,000 incidents open (a screen snapshot's 500, a duplicate search, a page's list of 200, a rare filter's 200 among a year of 200,000, a leader's countdown of the 200 due first) and a plan's group of 2,000 (resolved from its team, a warning's stand-by compared)" $(GO) test -run='^$$' -bench='Incidents20000|GroupUnits2000|Calls2000' -benchtime=20x -count=1 ./command/store ./command/warning
	$(BENCH) 43-task-answers "A plan's 2,000 members answering their tasks (done), 32 at a time" $(GO) test -run='^$$' -bench=TaskAnswers2000 -benchtime=3x -count=1 ./command/store
	$(BENCH) 44-years-of-plans "Reads after years of plans: a phone's tasks (its snapshot) with 1,000 plans ended behind its unit and 3 active; a leader page's history with 3,000 plans ended (every one, as read before, and the latest 15)" $(GO) test -run='^$$' -bench='UnitTasksAfterAYear|EndedActivations3000' -count=1 ./command/store
bench-seqs: deps
	$(BENCH) 46-seq-reads "A stream's seq read at a socket's heartbeat: alone, and 2,000 at once (every socket checks after the notifications are subscribed again), gathered into shared reads" $(GO) test -run='^$$' -bench='SeqAlone|SeqsAtOnce2000' -benchtime=200x -count=1 -benchmem ./command/store
bench-candidates: deps
	$(BENCH) 33-candidates "Candidates query over HTTP with 10,000 units placed (2,000 queries)" $(GO) test -run='^$$' -bench=CandidatesHTTP -benchtime=2000x -count=1 ./command/acceptance

## screenshots: the wall screen at 1920×1080 in zh-CN and English and the console, into docs/screenshots/.
screenshots: deps
	$(GO) test -count=1 -tags screenshots -run '^(TestDocsScreenshots|TestConsoleScreenshot)$$' ./command/acceptance
	WF_DOCS_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestWallLayout$$' ./command/acceptance

clean:
	rm -rf bin
