-- The ML backend's store as created before migrations (MCR Studio commit 47395e7, SQLAlchemy create_all), postgresql.

CREATE TABLE annotation_notes (
	ls_annotation_id SERIAL NOT NULL, 
	task_id INTEGER, 
	doc_key VARCHAR(200), 
	usable BOOLEAN NOT NULL, 
	dropped JSON NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (ls_annotation_id)
);

CREATE TABLE annotations (
	id SERIAL NOT NULL, 
	ls_annotation_id INTEGER NOT NULL, 
	task_id INTEGER, 
	project_id INTEGER, 
	doc_key VARCHAR(200), 
	task_data JSON NOT NULL, 
	result JSON NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	received_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_annotations_ls_annotation_id ON annotations (ls_annotation_id);

CREATE TABLE gallery (
	id SERIAL NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	embedder VARCHAR(50) NOT NULL, 
	embedding JSON NOT NULL, 
	ls_annotation_id INTEGER, 
	doc_key VARCHAR(200), 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_gallery_embedder ON gallery (embedder);

CREATE INDEX ix_gallery_ls_annotation_id ON gallery (ls_annotation_id);

CREATE INDEX ix_gallery_name ON gallery (name);

CREATE TABLE model_versions (
	id SERIAL NOT NULL, 
	version VARCHAR(200) NOT NULL, 
	path TEXT NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	info JSON NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (version)
);

CREATE INDEX ix_model_versions_active ON model_versions (active);

CREATE TABLE prediction_cache (
	key VARCHAR(64) NOT NULL, 
	model_version VARCHAR(200) NOT NULL, 
	prediction JSON NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (key)
);

CREATE INDEX ix_prediction_cache_model_version ON prediction_cache (model_version);

CREATE TABLE training_runs (
	id SERIAL NOT NULL, 
	started_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITHOUT TIME ZONE, 
	status VARCHAR(20) NOT NULL, 
	annotations INTEGER NOT NULL, 
	version VARCHAR(200), 
	error TEXT, 
	seconds FLOAT, 
	PRIMARY KEY (id)
);

CREATE TABLE video_refs (
	video_ref VARCHAR(2000) NOT NULL, 
	pipeline_version VARCHAR(200) NOT NULL, 
	key VARCHAR(64) NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (video_ref, pipeline_version)
);

CREATE TABLE video_results (
	key VARCHAR(64) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	pipeline_version VARCHAR(200) NOT NULL, 
	analysis JSON, 
	error TEXT, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (key)
);

CREATE INDEX ix_video_results_content_hash ON video_results (content_hash);

CREATE INDEX ix_video_results_pipeline_version ON video_results (pipeline_version);

CREATE TABLE worker_stats (
	worker VARCHAR(200) NOT NULL, 
	stats JSON NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (worker)
);
