SELECT * FROM sys.server_principals  
