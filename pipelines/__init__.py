"""dlt pipelines that load raw FreshBooks, Infor M3 and shop data into the warehouse."""
