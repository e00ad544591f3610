SELECT * FROM sys.certificates  
